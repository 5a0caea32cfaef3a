import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWith, run } from '../helpers/tools';

const UNIT = join(__dirname, '../../resources/systemd/vpnctl-agent.service');
const VERIFY = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8', timeout: 30_000 }).status === 0;

/** Each directive's values in [Service], in order (a directive may repeat). */
function service(): Map<string, string[]> {
  const text = readFileSync(UNIT, 'utf8');
  const body = text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'));
  const directives = new Map<string, string[]>();
  for (const line of body.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) directives.set(match[1], [...(directives.get(match[1]) ?? []), match[2]]);
  }
  return directives;
}

describe('the systemd unit for vpnctl agent', () => {
  const unit = service();
  const one = (name: string) => unit.get(name)?.join(' ');

  it('runs the bundle as its own unprivileged user, from an environment file, restarted on failure', () => {
    expect([one('User'), one('Group')]).toEqual(['vpnctl-agent', 'vpnctl-agent']);
    expect(one('ExecStart')).toBe('/usr/bin/node /opt/vpnctl-agent/vpnctl-agent.cjs agent');
    expect(one('EnvironmentFile')).toBe('/etc/vpnctl-agent/agent.env');
    expect(one('Restart')).toBe('on-failure');
  });

  it('may write only the CRL directory, reads the password and CA read-only, and gains no privilege', () => {
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(unit.get('ReadWritePaths')).toEqual(['/etc/openvpn/server/crl']);
    expect(one('ReadOnlyPaths')?.split(' ')).toEqual([
      '/etc/openvpn/server/management.pw',
      '/etc/openvpn/server/ca.crt',
    ]);
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('ProtectHome')).toBe('yes');
    expect(unit.get('CapabilityBoundingSet')).toEqual(['']);
    expect(unit.get('AmbientCapabilities')).toEqual(['']);
    // Node's JIT would be refused writable executable memory.
    expect(unit.has('MemoryDenyWriteExecute')).toBe(false);
  });
});

// It also checks that ExecStart's program exists, which it does only where Node is installed as on a VPN host.
describeWith(
  { 'systemd-analyze': VERIFY, '/usr/bin/node': existsSync('/usr/bin/node') },
  'systemd-analyze on the unit',
  () => {
    it('verifies without complaint', async () => {
      const result = await run('systemd-analyze', ['verify', UNIT], { timeoutMs: 60_000 });
      expect([result.code, result.stderr]).toEqual([0, '']);
    });
  },
);
