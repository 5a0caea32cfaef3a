import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recentServerLog } from '../helpers/connection-logs';
import { run, tempDir } from '../helpers/tools';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');

describe('vpnctl logs, the real binary', () => {
  const dir = tempDir('vpnctl-logs');
  const logFile = join(dir.path, 'openvpn.log');
  const openvpn = {
    type: 'openvpn',
    management: '127.0.0.1:9',
    crlFile: join(dir.path, 'crl.pem'),
    remote: '127.0.0.1 1194 udp',
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    STATE_DIR: join(dir.path, 'state'),
    // No DYNAMODB_ENDPOINT and no CA: reading logs needs neither.
    VPN_ENDPOINTS: JSON.stringify([
      { ...openvpn, name: 'local', logFile },
      { ...openvpn, name: 'gone', logFile: join(dir.path, 'missing.log') },
    ]),
  };
  const vpnctl = (args: string[]) => run(process.execPath, [BIN, ...args], { cwd: dir.path, env, timeoutMs: 60_000 });

  beforeAll(() => writeFileSync(logFile, recentServerLog(5 * 60_000)));
  afterAll(() => dir.remove());

  it('summarizes one endpoint and writes the chart', async () => {
    const chart = join(dir.path, 'chart.png');
    const result = await vpnctl(['logs', '--hours', '3', '--endpoint', 'local', '--chart', chart]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Connection attempts, last 3 hours \(/);
    expect(result.stdout).toContain('✔ openvpn:local: 6 attempts, 2 successful, 4 failed');
    expect(result.stdout).toContain(
      'failure reasons: certificate-revoked 1, client-deny: not-approved 1, crl-expired 1, tls-crypt-failed 1',
    );
    expect(result.stdout).toContain('client versions: (not logged) 3, 2.6.14 3 (1 failed)');
    expect(readFileSync(chart).subarray(1, 4).toString('latin1')).toBe('PNG');
    expect((await vpnctl(['logs', '--endpoint', 'local', '--chart', chart])).code).toBe(1);
  });

  it('reports an unreadable log beside the others and exits 1; --json for scripts', async () => {
    const result = await vpnctl(['logs', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      window: { hours: number };
      endpoints: { endpoint: string; error?: string; summary?: { attempts: number } }[];
    };
    expect(report.window.hours).toBe(24);
    expect(report.endpoints.map((e) => [e.endpoint, e.summary?.attempts ?? e.error])).toEqual([
      ['openvpn:local', 6],
      [
        'openvpn:gone',
        expect.stringMatching(
          /^openvpn:gone: there is no log file at .*missing\.log yet: start the server with --log-append/,
        ),
      ],
    ]);
  });

  it('refuses a malformed --hours with exit 2, and caps a huge one', async () => {
    for (const hours of ['abc', '0', '1.5', '-3']) {
      const result = await vpnctl(['logs', '--hours', hours]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/is not a whole number of hours|unknown option|argument missing/);
    }
    const capped = await vpnctl(['logs', '--hours', '5000', '--endpoint', 'local']);
    expect(capped.stdout).toContain('Connection attempts, last 168 hours');
    expect(capped.stdout).toContain('(asked for 5,000 hours; one summary covers at most 168)');
  });
});
