import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { caMaterial } from '../../src/pki/ca';
import { buildCrl } from '../../src/pki/crl';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { ManagedTestVpn, prepareTestVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith, run, tempDir } from '../helpers/tools';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');
const DAY = 86_400_000;

describeWith(
  {
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
  },
  'vpnctl doctor against a real OpenVPN 2.6 server',
  () => {
    let vpn: ManagedTestVpn;
    let dir: ReturnType<typeof tempDir>;
    let env: NodeJS.ProcessEnv;
    const vpnctl = (args: string[]) => run(process.execPath, [BIN, ...args], { cwd: dir.path, env, timeoutMs: 60_000 });

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'doctor-openvpn', management: true, initialCrl: false });
      dir = tempDir('doctor-cli');
      await new LocalCaStore(join(dir.path, 'state')).save(caMaterial(vpn.ca));
      env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        STATE_DIR: join(dir.path, 'state'),
        DYNAMODB_ENDPOINT,
        TABLE_NAME: `doctor-${randomBytes(4).toString('hex')}`,
        CERT_DOMAIN: 'vpn.test',
        VPN_ENDPOINTS: JSON.stringify([
          {
            type: 'openvpn',
            name: 'test',
            management: vpn.management,
            crlFile: vpn.files.crl,
            remote: vpn.remote,
            serverCertFile: vpn.files.cert,
          },
        ]),
      };
      // The server's first CRL comes from us, as in a deployment.
      const published = await vpnctl(['crl', 'publish']);
      if (published.code !== 0) throw new Error(`vpnctl crl publish failed: ${published.stdout}${published.stderr}`);
      await vpn.start();
    }, 60_000);
    afterAll(async () => {
      await vpn?.stop();
      dir?.remove();
    });

    it('passes (exit 0) with warnings only; seed 000 on the live server fails (exit 1) with the fix, which clears it', async () => {
      const healthy = await vpnctl(['doctor']);
      expect(healthy.stderr).toBe('');
      expect(healthy.code).toBe(0);
      expect(healthy.stdout).toMatch(
        new RegExp(`^✅ openvpn:test: endpoint: management interface at ${vpn.management} answers`, 'm'),
      );
      expect(healthy.stdout).toMatch(
        /^✅ openvpn:test: server certificate: CN=server\.vpn\.test, valid until .* \(365\.0 days\)$/m,
      );
      expect(healthy.stdout).toMatch(/^✅ openvpn:test: CRL expiry: 180\.0 days left/m);
      expect(healthy.stdout).toMatch(/^✅ openvpn:test: CRL vs last publish: #1, as published at /m);
      // This test server's management port takes commands without a password: anyone on the host could approve logins.
      expect(healthy.stdout).toMatch(
        new RegExp(
          `^⚠️ {2}openvpn:test: management access: ${vpn.management} takes commands without a password: .* → Give the server's --management line a password file`,
          'm',
        ),
      );
      // Without Slack there is no remote clock and nobody to remind: warnings, which do not fail the run.
      expect(healthy.stdout).toMatch(/^⚠️ {2}Slack token: SLACK_BOT_TOKEN is not set/m);
      expect(healthy.stdout).toMatch(/^✅ DynamoDB: /m);
      expect(healthy.stdout).toMatch(/^0 failing, \d+ warning, \d+ passing$/m);

      // Seed 000: the server's CRL #1 was made 170 days ago, and nobody renewed it since.
      vpn.writeCrl(buildCrl({ ca: vpn.ca, number: 1n, revocations: [], now: new Date(Date.now() - 170 * DAY) }).pem);
      const stale = await vpnctl(['doctor']);
      expect(stale.code).toBe(1);
      expect(stale.stdout).toMatch(
        /^❌ openvpn:test: CRL expiry: expires in 10\.0 days \(nextUpdate .*\) and nobody has renewed it; when it expires every VPN connection is refused\. → Run `vpnctl crl publish` now \(or press Publish now under `\/vpn crl`\), then find out why the daily job did not renew it: it renews at 30 days left\.$/m,
      );

      expect((await vpnctl(['crl', 'publish'])).code).toBe(0);
      const fixed = await vpnctl(['doctor']);
      expect(fixed.code).toBe(0);
      expect(fixed.stdout).toMatch(/^✅ openvpn:test: CRL expiry: 180\.0 days left/m);
      expect(fixed.stdout).toMatch(/^✅ openvpn:test: CRL vs last publish: #2, as published at /m);
    }, 120_000);

    it('fails (exit 1) and says how to start the server when the management interface does not answer', async () => {
      const result = await run(process.execPath, [BIN, 'doctor'], {
        cwd: dir.path,
        env: {
          ...env,
          VPN_ENDPOINTS: JSON.stringify([
            { type: 'openvpn', name: 'down', management: '127.0.0.1:9', crlFile: vpn.files.crl, remote: vpn.remote },
          ]),
        },
        timeoutMs: 60_000,
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^❌ openvpn:down: endpoint: .*127\.0\.0\.1:9.* → Start the OpenVPN server with the --management address and --crl-verify file that VPN_ENDPOINTS names\.$/m,
      );
      expect(result.stdout).toMatch(/^⚠️ {2}openvpn:down: server certificate: not checked: serverCertFile is not set/m);
    }, 60_000);
  },
);
