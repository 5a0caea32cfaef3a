import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { CONNECTED, ManagedTestVpn, RunningOpenVpn, prepareTestVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';

describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
  },
  'revoking a connected member on a real OpenVPN server',
  () => {
    let vpn: ManagedTestVpn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let server: RunningOpenVpn;
    let admin: VpnAdmin;

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'e2e-revoke', management: true, initialCrl: false });
      db = await testDatabase();
      const endpoint = new OpenVpnEndpoint({
        name: 'e2e',
        management: vpn.management,
        crlFile: vpn.files.crl,
        remote: vpn.remote,
        caPem: vpn.ca.certPem,
        tlsCryptKeyFile: vpn.files.tlsCrypt,
      });
      admin = new VpnAdmin({
        config: loadConfig({ CERT_DOMAIN: 'vpn.test', STATE_DIR: vpn.dir.path }),
        ca: vpn.ca,
        ...storesFor(db),
        endpoints: [endpoint],
        alerts: { send: async () => undefined },
        coalesceMs: 0,
      });
      expect((await admin.publishAll('U0ADMIN'))[0].outcome).toBe('published');
      server = await vpn.start();
    });
    afterAll(async () => {
      await vpn?.stop();
      await db?.drop();
    });

    async function connect(profile: string): Promise<RunningOpenVpn> {
      return vpn.startClient(profile);
    }

    it('issues a working profile, then revocation halts the live session and the CRL refuses the next login', async () => {
      const bob = await admin.issue({
        slackId: 'U0BOB',
        displayName: 'Bob Leaver',
        device: 'laptop',
        actor: 'U0ADMIN',
      });
      const jane = await admin.issue({ slackId: 'U0JANE', displayName: 'Jane Stays', actor: 'U0ADMIN' });
      const bobProfile = vpn.file('bob.ovpn', bob.profile);
      const janeProfile = vpn.file('jane.ovpn', jane.profile);

      const bobClient = await connect(bobProfile);
      await bobClient.waitFor(CONNECTED);
      const janeClient = await connect(janeProfile);
      await janeClient.waitFor(CONNECTED);

      const report = await admin.revoke({
        target: { slackId: 'U0BOB' },
        reason: 'affiliationChanged',
        actor: 'U0ADMIN',
      });
      expect(report.revoked.map((r) => r.cn)).toEqual([bob.record.cn]);
      expect(bob.record.cn).toMatch(/^bob-leaver\.laptop--[a-z2-7]{5}-U0BOB\.vpn\.test$/);
      expect(report.sessions).toEqual([{ endpoint: 'openvpn:e2e', terminated: 1 }]);
      expect(report.crl).toEqual([expect.objectContaining({ outcome: 'published', entries: 1 })]);

      // (b) the live session ends: HALT, so the client stops instead of reconnecting.
      await bobClient.waitFor(/server-pushed-halt\] received, process exiting/);
      // Jane is untouched.
      expect(janeClient.log()).not.toMatch(/process exiting/);
      // (c) the CRL refuses Bob's next attempt.
      const before = server.log().length;
      const retry = await connect(bobProfile);
      await server.waitFor(
        new RegExp(`VERIFY ERROR: depth=0, error=certificate revoked.*CN=${bob.record.cn.replace(/\./g, '\\.')}`),
        { since: before },
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(retry.log()).not.toMatch(CONNECTED);
      // (a) the database gate: the certificate is no longer the active one for its CN.
      expect(await storesFor(db).certificates.byActiveCn(bob.record.cn)).toBeUndefined();
    }, 90_000);
    it('converges when the management interface is down during the revoke: the retry halts the session of the certificate already revoked', async () => {
      const carol = await admin.issue({ slackId: 'U0CAROL', displayName: 'Carol Leaver', actor: 'U0ADMIN' });
      const carolClient = await connect(vpn.file('carol.ovpn', carol.profile));
      await carolClient.waitFor(CONNECTED);

      // The same endpoint, its management port unreachable (nothing listens on port 9): the CRL file is still written.
      const unreachable = new OpenVpnEndpoint({
        name: 'e2e',
        management: '127.0.0.1:9',
        crlFile: vpn.files.crl,
        remote: vpn.remote,
        caPem: vpn.ca.certPem,
        timeoutMs: 1000,
      });
      const cut = new VpnAdmin({ ...admin.deps, endpoints: [unreachable], coalesceMs: 0 });
      const first = await cut.revoke({
        target: { slackId: 'U0CAROL' },
        reason: 'affiliationChanged',
        actor: 'U0ADMIN',
      });
      expect(first.revoked.map((r) => r.serial)).toEqual([carol.record.serial]);
      expect(first.sessions).toEqual([{ endpoint: 'openvpn:e2e', terminated: 0, error: expect.any(String) }]);
      expect(first.crl).toEqual([expect.objectContaining({ outcome: 'published' })]);
      // A CRL is checked at the next handshake: the live session outlives it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(carolClient.log()).not.toMatch(/process exiting/);

      const retry = await admin.revoke({
        target: { slackId: 'U0CAROL' },
        reason: 'affiliationChanged',
        actor: 'U0ADMIN',
      });
      expect(retry).toMatchObject({
        revoked: [],
        alreadyRevoked: [carol.record.serial],
        failed: [],
        sessions: [{ endpoint: 'openvpn:e2e', terminated: 1 }],
        crl: [],
      });
      await carolClient.waitFor(/server-pushed-halt\] received, process exiting/);
    }, 90_000);
  },
);
