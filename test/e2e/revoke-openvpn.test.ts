import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { VpnAdmin, storesFor } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { signCertificateFor } from '../../src/pki/certificate';
import { generateTlsCryptKey } from '../../src/pki/tls-crypt';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { CONNECTED, RunningOpenVpn, clientArgs, freeTcpPort, freeUdpPort, serverArgs, startOpenVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith, tempDir } from '../helpers/tools';

describeWith(
  { openvpn: OPENVPN !== undefined, '/dev/net/tun': HAS_TUN, 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'revoking a connected member on a real OpenVPN server',
  () => {
    let dir: ReturnType<typeof tempDir>;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let server: RunningOpenVpn;
    let admin: VpnAdmin;
    const clients: RunningOpenVpn[] = [];

    beforeAll(async () => {
      dir = tempDir('e2e-revoke');
      db = await testDatabase();
      const ca = await testCa();
      const [port, managementPort] = await Promise.all([freeUdpPort(), freeTcpPort()]);
      const file = (name: string, text: string) => {
        writeFileSync(join(dir.path, name), text, { mode: 0o600 });
        return join(dir.path, name);
      };
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const tlsCrypt = file('tc.key', generateTlsCryptKey());
      const endpoint = new OpenVpnEndpoint({
        name: 'e2e',
        management: `127.0.0.1:${managementPort}`,
        crlFile: join(dir.path, 'crl.pem'),
        remote: `127.0.0.1 ${port} udp`,
        caPem: ca.certPem,
        tlsCryptKeyFile: tlsCrypt,
      });
      admin = new VpnAdmin({
        config: loadConfig({ CERT_DOMAIN: 'vpn.test', STATE_DIR: dir.path }),
        ca,
        ...storesFor(db),
        endpoints: [endpoint],
        alerts: { send: async () => undefined },
        coalesceMs: 0,
      });
      expect((await admin.publishAll('U0ADMIN'))[0].outcome).toBe('published');
      server = startOpenVpn(
        serverArgs({
          port,
          ca: file('ca.crt', ca.certPem),
          cert: file('server.crt', signCertificateFor({ ca, cn: 'server.vpn.test', publicKey, profile: 'server' }).certPem),
          key: file('server.key', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
          crl: join(dir.path, 'crl.pem'),
          tlsCrypt,
          extra: ['--management', '127.0.0.1', String(managementPort)],
        }),
      );
      await server.waitFor(CONNECTED);
    });
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.stop()));
      await server?.stop();
      await db?.drop();
      dir?.remove();
    });

    async function connect(profile: string): Promise<RunningOpenVpn> {
      const client = startOpenVpn(clientArgs(profile));
      clients.push(client);
      return client;
    }

    it('issues a working profile, then revocation halts the live session and the CRL refuses the next login', async () => {
      const bob = await admin.issue({ slackId: 'U0BOB', displayName: 'Bob Leaver', device: 'laptop', actor: 'U0ADMIN' });
      const jane = await admin.issue({ slackId: 'U0JANE', displayName: 'Jane Stays', actor: 'U0ADMIN' });
      const bobProfile = join(dir.path, 'bob.ovpn');
      const janeProfile = join(dir.path, 'jane.ovpn');
      writeFileSync(bobProfile, bob.profile, { mode: 0o600 });
      writeFileSync(janeProfile, jane.profile, { mode: 0o600 });

      const bobClient = await connect(bobProfile);
      await bobClient.waitFor(CONNECTED);
      const janeClient = await connect(janeProfile);
      await janeClient.waitFor(CONNECTED);

      const report = await admin.revoke({ target: { slackId: 'U0BOB' }, reason: 'affiliationChanged', actor: 'U0ADMIN' });
      expect(report.revoked.map((r) => r.cn)).toEqual(['bob-leaver.laptop-U0BOB.vpn.test']);
      expect(report.sessions).toEqual([{ endpoint: 'openvpn:e2e', terminated: 1 }]);
      expect(report.crl).toEqual([expect.objectContaining({ outcome: 'published', entries: 1 })]);

      // (b) the live session ends: HALT, so the client stops instead of reconnecting.
      await bobClient.waitFor(/server-pushed-halt\] received, process exiting/);
      // Jane is untouched.
      expect(janeClient.log()).not.toMatch(/process exiting/);
      // (c) the CRL refuses Bob's next attempt.
      const before = server.log().length;
      const retry = await connect(bobProfile);
      await server.waitFor(/VERIFY ERROR: depth=0, error=certificate revoked.*CN=bob-leaver\.laptop-U0BOB\.vpn\.test/, { since: before });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(retry.log()).not.toMatch(CONNECTED);
      // (a) the database gate: the certificate is no longer the active one for its CN.
      expect(await storesFor(db).certificates.byActiveCn('bob-leaver.laptop-U0BOB.vpn.test')).toBeUndefined();
    }, 90_000);
  },
);
