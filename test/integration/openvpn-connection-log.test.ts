import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenVpnConnectionLog } from '../../src/adapters/openvpn/connection-log';
import { buildCrl } from '../../src/pki/crl';
import { summarizeConnections, insightWindow } from '../../src/services/connection-insights';
import { rejectionOf } from '../helpers/errors';
import { eventually } from '../helpers/eventually';
import { CONNECTED, RunningOpenVpn, TestVpn, prepareTestVpn, serverArgs, startOpenVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith, run, tempDir } from '../helpers/tools';

describeWith(
  { openvpn: OPENVPN !== undefined, '/dev/net/tun': HAS_TUN },
  'OpenVpnConnectionLog on the log of a real OpenVPN 2.6 server',
  () => {
    let vpn: TestVpn;
    let server: RunningOpenVpn;
    let logFile: string;
    const log = () => readFileSync(logFile, 'utf8');

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'openvpn-log' });
      logFile = join(vpn.dir.path, 'openvpn.log');
      // With --log-append the server writes nothing to stdout, so readiness is read from the file.
      server = startOpenVpn(serverArgs({ port: vpn.port, ...vpn.files, extra: ['--log-append', logFile] }));
      await eventually(() => {
        try {
          return CONNECTED.test(log());
        } catch {
          return false;
        }
      }, 'the server to start');
    });
    afterAll(async () => {
      await server?.stop();
      await vpn?.stop();
    });

    /** Start a client, wait until the server's log shows `pattern`, stop the client. */
    async function attempt(profile: string, pattern: RegExp): Promise<void> {
      const before = log().length;
      const client = vpn.startClient(profile);
      try {
        await eventually(() => pattern.test(log().slice(before)), `${pattern} in the server log`, 20_000);
      } finally {
        await client.stop();
      }
    }

    it('finds the successful, revoked and keyless attempts the server logged, with names, addresses and client versions', async () => {
      const started = new Date();
      const jane = await vpn.profileFor('Jane Doe', 'U0JANE');
      const bob = await vpn.profileFor('Bob Leaver', 'U0BOB');
      const eve = await vpn.profileFor('Eve', 'U0EVE', { withTlsCrypt: false });
      await attempt(jane.path, /jane-doe-U0JANE\.vpn\.test\/127\.0\.0\.1:\d+ MULTI_sva/);
      vpn.writeCrl(
        buildCrl({
          ca: vpn.ca,
          number: 2n,
          revocations: [{ serial: bob.issued.serial, revokedAt: new Date(), reason: 'affiliationChanged' }],
        }).pem,
      );
      await attempt(bob.path, /VERIFY ERROR: depth=0, error=certificate revoked/);
      await attempt(eve.path, /tls-crypt unwrapping failed/);

      const version = /OpenVPN (\d+\.\d+\.\d+)/.exec((await run(OPENVPN!, ['--version'])).stdout)![1];
      const window = insightWindow(1, new Date(Date.now() + 1000));
      const read = await new OpenVpnConnectionLog({ name: 'test', logFile }).read(
        new Date(window.from),
        new Date(window.to),
      );
      expect(read.malformed).toBe(0);
      const summary = summarizeConnections('openvpn:test', read, window);

      expect(summary).toMatchObject({ attempts: 3, successful: 1, failed: 2 });
      expect(summary.byReason.top.map((tally) => tally.key).sort()).toEqual([
        'certificate-revoked',
        'tls-crypt-failed',
      ]);
      expect(summary.byCommonName.top.map((tally) => tally.key).sort()).toEqual([
        '',
        'bob-leaver-U0BOB.vpn.test',
        'jane-doe-U0JANE.vpn.test',
      ]);
      expect(summary.byIp.top).toEqual([{ key: '127.0.0.1', attempts: 3, failed: 2 }]);
      expect(summary.byClientVersion.top).toContainEqual({ key: version, attempts: 1, failed: 0 });
      // Seconds are all the log has; the attempts began after the test did.
      expect(read.attempts.every((a) => a.at >= Math.floor(started.getTime() / 1000) * 1000)).toBe(true);
    }, 90_000);
  },
);

describe('OpenVpnConnectionLog on files', () => {
  const dir = tempDir('openvpn-log-files');
  afterAll(() => dir.remove());
  const window = { from: new Date('2026-11-22T00:00:00'), to: new Date('2026-11-23T00:00:00') };

  it('says how to configure the log when the file is missing', async () => {
    const missing = join(dir.path, 'nope.log');
    const error = await rejectionOf(
      new OpenVpnConnectionLog({ name: 'local', logFile: missing }).read(window.from, window.to),
    );
    expect(error.message).toBe(
      `openvpn:local: there is no log file at ${missing} yet: start the server with --log-append ${missing} (or fix "logFile" in VPN_ENDPOINTS).`,
    );
  });

  it('refuses a folder', async () => {
    expect(
      (await rejectionOf(new OpenVpnConnectionLog({ name: 'local', logFile: dir.path }).read(window.from, window.to)))
        .message,
    ).toMatch(/is not a regular file/);
  });

  it('counts only the lines inside the window, a line without a timestamp where the line before it is', async () => {
    const file = join(dir.path, 'days.log');
    const line = (day: number, hour: string) =>
      `2026-11-${day} ${hour} TLS Error: tls-crypt unwrapping failed from [AF_INET]192.0.2.${day}:1000\n`;
    writeFileSync(
      file,
      [line(21, '23:59:59'), 'a line without a timestamp\n', line(22, '00:00:00'), line(22, '12:00:00')]
        .concat('another line without one\n', line(22, '23:59:59'), line(23, '00:00:00'), line(24, '08:00:00'))
        .join(''),
    );
    const read = await new OpenVpnConnectionLog({ name: 'local', logFile: file }).read(window.from, window.to);
    expect(read).toMatchObject({ events: 4, malformed: 1 });
    expect(read.attempts).toHaveLength(3);
  });

  it('reads only the end of a log larger than its limit, and says so', async () => {
    const file = join(dir.path, 'big.log');
    const line = (i: number) =>
      `2026-11-22 08:00:${String(i % 60).padStart(2, '0')} TLS Error: tls-crypt unwrapping failed from [AF_INET]192.0.2.${i}:1000\n`;
    writeFileSync(file, Array.from({ length: 200 }, (_, i) => line(i)).join(''));
    const read = await new OpenVpnConnectionLog({ name: 'local', logFile: file, maxBytes: 1000 }).read(
      window.from,
      window.to,
    );
    expect(read.truncated).toMatch(
      /^read only the last 1 KB of .*big\.log \(\d+ KB\); older attempts are not in this summary$/,
    );
    expect(read.malformed).toBe(0);
    expect(read.attempts.length).toBeGreaterThan(5);
    expect(read.attempts.length).toBeLessThan(20);
    expect(read.attempts.at(-1)!.sourceIp).toBe('192.0.2.199');
  });
});
