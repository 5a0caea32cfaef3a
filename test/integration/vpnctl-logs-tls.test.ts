import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recentTlsLog } from '../helpers/connection-logs';
import { run, tempDir } from '../helpers/tools';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');

describe('vpnctl logs --tls, the real binary', () => {
  const dir = tempDir('vpnctl-logs-tls');
  const logFile = join(dir.path, 'openvpn.log');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    STATE_DIR: join(dir.path, 'state'),
    // No DYNAMODB_ENDPOINT and no CA: reading logs needs neither.
    VPN_ENDPOINTS: JSON.stringify([
      {
        type: 'openvpn',
        name: 'local',
        management: '127.0.0.1:9',
        crlFile: join(dir.path, 'crl.pem'),
        remote: '127.0.0.1 1194 udp',
        logFile,
      },
    ]),
  };
  const vpnctl = (args: string[]) => run(process.execPath, [BIN, ...args], { cwd: dir.path, env, timeoutMs: 60_000 });

  beforeAll(() => writeFileSync(logFile, recentTlsLog(5 * 60_000)));
  afterAll(() => dir.remove());

  it('tables the failures by client version × TLS version × cipher × class, with the fix per class', async () => {
    const result = await vpnctl(['logs', '--tls', '--hours', '2']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^TLS negotiation failures, last 2 hours \(/);
    expect(out).toContain('✔ openvpn:local: 7 attempts, 1 successful, 6 failed');
    expect(out).toMatch(/attempts +client +tls +cipher +class +names +addresses +offered ciphers +last/);
    expect(out).toMatch(/1 +2\.6\.14 +TLSv1\.3 +TLS_AES_256_GCM_SHA384 +cipher-negotiation +1 +1 +AES-128-CBC /);
    for (const failure of ['crl-expired', 'revoked', 'tls-crypt', 'protocol-version', 'timeout'])
      expect(out).toMatch(new RegExp(`1 +- +- +- +${failure} `));
    expect(out).toContain("→ cipher-negotiation (1): The client offers none of the server's `data-ciphers`");
    expect(out).toContain("→ crl-expired (1): The server's CRL is past its next update");
    expect(out).toContain('negotiated: TLSv1.3 TLS_AES_256_GCM_SHA384 1');
  });

  it('gives the same report as JSON, and refuses --chart with --tls', async () => {
    const result = await vpnctl(['logs', '--tls', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      endpoints: { summary: { groups: { failure: string; offeredCiphers?: string }[]; failed: number } }[];
    };
    const summary = report.endpoints[0].summary;
    expect(summary.failed).toBe(6);
    expect(summary.groups.find((g) => g.failure === 'cipher-negotiation')?.offeredCiphers).toBe('AES-128-CBC');

    const refused = await vpnctl(['logs', '--tls', '--chart', join(dir.path, 'x.png')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--chart .* does not go with --tls/);
  });
});
