import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import { HOUR_MS } from '../../src/domain/time';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { CONNECTED, ManagedTestVpn, prepareTestVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';

describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
  },
  'the expiry sweep on a real OpenVPN server',
  () => {
    let vpn: ManagedTestVpn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let admin: VpnAdmin;

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'e2e-expiry', management: true, initialCrl: false });
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
      await vpn.start();
    });
    afterAll(async () => {
      await vpn?.stop();
      await db?.drop();
    });

    it('ends the live session of a time-boxed certificate once it has run out, leaves others connected, and does it once', async () => {
      const bob = await admin.issue({
        slackId: 'U0BOB',
        displayName: 'Bob Contractor',
        device: 'laptop',
        actor: 'U0BOB',
        validHours: 1,
      });
      const jane = await admin.issue({ slackId: 'U0JANE', displayName: 'Jane Staff', actor: 'U0JANE' });
      const bobClient = await vpn.startClient(vpn.file('bob.ovpn', bob.profile));
      await bobClient.waitFor(CONNECTED);
      const janeClient = await vpn.startClient(vpn.file('jane.ovpn', jane.profile));
      await janeClient.waitFor(CONNECTED);

      // Before the end, the sweep leaves everyone alone.
      expect((await admin.sweepExpiry()).sessions).toEqual([]);

      // The sweep's clock past Bob's notAfter; the server checked his certificate at the handshake, an hour ago for it.
      const later = new VpnAdmin({
        ...admin.deps,
        clock: { now: () => new Date(bob.record.notAfter.getTime() + 1000) },
      });
      const report = await later.sweepExpiry();
      expect(report).toMatchObject({
        expired: 1,
        sessions: [{ endpoint: 'openvpn:e2e', found: 1, terminated: 1 }],
        problems: [],
      });
      await bobClient.waitFor(/server-pushed-halt\] received, process exiting/);
      expect(janeClient.log()).not.toMatch(/process exiting/);
      // Audited at the sweep's clock, an hour ahead.
      const sweeps = {
        actor: 'system:expiry',
        since: new Date(Date.now() - HOUR_MS),
        until: new Date(Date.now() + 2 * HOUR_MS),
      };
      const audits = await admin.deps.audit.query(sweeps);
      expect(audits).toEqual([
        expect.objectContaining({
          action: 'sessions.expire',
          target: 'openvpn:e2e',
          outcome: 'success',
          details: expect.objectContaining({ cns: [bob.record.cn], serials: [bob.record.serial], terminated: 1 }),
        }),
      ]);
      // No CRL import for an expiry: the endpoint's CRL record is where the first publish left it.
      expect((await admin.deps.crlState.getEndpoint('openvpn:e2e'))?.entries).toBe(0);

      // Again, once the server has let go of the halted session: nothing left to end, nothing audited twice.
      const [endpoint] = admin.deps.endpoints;
      await eventually(
        async () => (await endpoint.listSessions()).every((session) => session.commonName !== bob.record.cn),
        'the server dropping the halted session',
      );
      expect((await later.sweepExpiry()).sessions).toEqual([{ endpoint: 'openvpn:e2e', found: 0, terminated: 0 }]);
      expect(await admin.deps.audit.query(sweeps)).toHaveLength(1);
      expect(bob.record.notAfter.getTime() - bob.record.issuedAt.getTime()).toBe(HOUR_MS);
    }, 90_000);
  },
);
