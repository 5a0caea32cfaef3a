import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { openvpnClientBase } from '../../src/adapters/openvpn/client-base';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import { issueWithNewKey } from '../../src/pki/certificate';
import { assembleProfile } from '../../src/pki/profile';
import {
  generateTlsCryptV2ServerKey,
  unwrapTlsCryptV2Metadata,
  wrapTlsCryptV2ClientKey,
} from '../../src/pki/tls-crypt-v2';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import {
  CONNECTED,
  ManagedTestVpn,
  RunningOpenVpn,
  prepareTestVpn,
  serverArgs,
  startOpenVpn,
} from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';
import { RelayedPackets, UdpRelay, startUdpRelay } from '../helpers/udp-relay';

const VERIFY_SCRIPT = join(__dirname, '..', '..', 'resources', 'tls-crypt-v2-verify.sh');
/** A line only a TLS handshake writes: the server checked a client certificate. */
const TLS_STARTED = /VERIFY (OK|ERROR): depth=0/;

describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
  },
  'per-client tls-crypt-v2 keys on a real OpenVPN 2.6 server',
  () => {
    let vpn: ManagedTestVpn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let server: RunningOpenVpn | undefined;
    let admin: VpnAdmin;
    let serverKeyFile: string;
    let refusalList: string;
    /** Relays a test keeps open across steps; closed here if the test fails before it does. */
    const relays: UdpRelay[] = [];

    function startServer(): Promise<string> {
      server = startOpenVpn(
        serverArgs({
          port: vpn.port,
          ...vpn.files,
          control: [
            '--tls-crypt-v2',
            serverKeyFile,
            '--tls-crypt-v2-verify',
            `${VERIFY_SCRIPT} ${refusalList}`,
            '--script-security',
            '2',
          ],
          extra: ['--management', '127.0.0.1', String(vpn.managementPort)],
        }),
      );
      return server.waitFor(CONNECTED);
    }

    /** A copy of `profile` whose client talks to the server through `relay`, which counts the packets each way. */
    function throughRelay(profile: string, relay: UdpRelay): string {
      const direct = new RegExp(`^remote 127\\.0\\.0\\.1 ${vpn.port}$`, 'm');
      const text = readFileSync(profile, 'utf8');
      if (!direct.test(text)) throw new Error(`${profile} does not name the test server's address`);
      return vpn.file(`relayed-${relay.port}.ovpn`, text.replace(direct, `remote 127.0.0.1 ${relay.port}`));
    }

    /**
     * Start a client through a counting relay and wait until the server has dropped it twice (it retries after ~2 s):
     * a client let into TLS in between would have left its VERIFY line by then. Resolves with the server's and the
     * client's logs, and the packets each way once the client has stopped.
     */
    async function droppedTwice(
      profile: string,
      drop: RegExp,
    ): Promise<{ server: string; client: string; packets: RelayedPackets }> {
      const since = server!.log().length;
      const relay = await startUdpRelay(vpn.port);
      try {
        const client = vpn.startClient(throughRelay(profile, relay));
        try {
          const first = await server!.waitFor(drop, { since });
          await server!.waitFor(drop, { since: since + first.slice(since).search(drop) + 1 });
        } finally {
          await client.stop();
        }
        return { server: server!.log().slice(since), client: client.log(), packets: relay.packets() };
      } finally {
        await relay.stop();
      }
    }

    /** Sent at least its two first packets and got not one back: the server answered nothing at all. */
    const silent = (packets: RelayedPackets) => {
      expect(packets.toServer).toBeGreaterThanOrEqual(2);
      expect(packets).toEqual({ toServer: packets.toServer, toClient: 0, toClientKinds: [] });
    };

    /**
     * A key our server wrapped gets back OpenVPN 2.6's stateless reset (its HMAC cookie), sent before the server keeps
     * any state; the verify script runs only on the client's echo of it, so only for a source address that is real.
     * Nothing else comes back: no TLS record, no acknowledgement.
     */
    const onlyTheStatelessReset = (packets: RelayedPackets) => {
      expect(packets.toClient).toBeGreaterThanOrEqual(1);
      expect(packets.toClient).toBeLessThan(packets.toServer);
      expect(packets.toClientKinds).toEqual(Array(packets.toClient).fill('P_CONTROL_HARD_RESET_SERVER_V2'));
    };

    /** A profile for a certificate the bot never issued, with `clientKey` (or none). */
    async function strangerProfile(name: string, clientKey: (serial: string) => string | undefined) {
      const issued = await issueWithNewKey({ ca: vpn.ca, cn: `${name}.vpn.test` });
      const profile = assembleProfile({
        base: openvpnClientBase({ remote: vpn.remote, caPem: vpn.ca.certPem }),
        certPem: issued.certPem,
        keyPem: issued.keyPem,
        tlsCryptV2Key: clientKey(issued.serial),
      });
      return vpn.file(`${name}.ovpn`, profile);
    }

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'e2e-tlscv2', management: true, initialCrl: false });
      db = await testDatabase();
      // The server key from the real openvpn, so the TypeScript wrapping is checked against OpenVPN's own format.
      serverKeyFile = join(vpn.dir.path, 'tls-crypt-v2-server.key');
      execFileSync(OPENVPN!, ['--genkey', 'tls-crypt-v2-server', serverKeyFile]);
      refusalList = join(vpn.dir.path, 'tls-crypt-v2-refused');
      const endpoint = new OpenVpnEndpoint({
        name: 'e2e',
        management: vpn.management,
        crlFile: vpn.files.crl,
        remote: vpn.remote,
        caPem: vpn.ca.certPem,
        tlsCryptV2ServerKeyFile: serverKeyFile,
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
      expect(readdirSync(refusalList)).toEqual([]);
      await startServer();
    });
    afterAll(async () => {
      await Promise.all(relays.map((relay) => relay.stop()));
      await server?.stop();
      await vpn?.stop();
      await db?.drop();
    });

    it('gives each profile its own client key naming its certificate; once revoked, the key is dropped before any TLS', async () => {
      const serverKey = readFileSync(serverKeyFile, 'utf8');
      const bob = await admin.issue({ slackId: 'U0BOB', displayName: 'Bob Leaver', actor: 'U0ADMIN' });
      const jane = await admin.issue({ slackId: 'U0JANE', displayName: 'Jane Stays', actor: 'U0ADMIN' });
      for (const { profile, record } of [bob, jane]) {
        expect(profile).toMatch(/<tls-crypt-v2>\n-----BEGIN OpenVPN tls-crypt-v2 client key-----/);
        expect(profile).not.toMatch(/<tls-crypt>/);
        expect(unwrapTlsCryptV2Metadata(serverKey, profile)).toBe(`serial:${record.serial}`);
      }
      const keyOf = (profile: string) => /<tls-crypt-v2>([\s\S]*)<\/tls-crypt-v2>/.exec(profile)![1];
      expect(keyOf(bob.profile)).not.toBe(keyOf(jane.profile));

      const bobProfile = vpn.file('bob.ovpn', bob.profile);
      const janeProfile = vpn.file('jane.ovpn', jane.profile);
      const bobRelay = await startUdpRelay(vpn.port);
      relays.push(bobRelay);
      const bobClient = vpn.startClient(throughRelay(bobProfile, bobRelay));
      await bobClient.waitFor(CONNECTED);
      expect(server!.log()).toMatch(/TLS CRYPT V2 VERIFY SCRIPT OK/);
      // A valid key is answered: the whole TLS handshake came back through the relay.
      expect(bobRelay.packets().toClientKinds).toContain('P_CONTROL_V1');
      const janeClient = vpn.startClient(janeProfile);
      await janeClient.waitFor(CONNECTED);

      const report = await admin.revoke({
        target: { slackId: 'U0BOB' },
        reason: 'affiliationChanged',
        actor: 'U0ADMIN',
      });
      expect(report.crl).toEqual([expect.objectContaining({ outcome: 'published', entries: 1 })]);
      // Written with the CRL, by the same publish.
      expect(readdirSync(refusalList)).toEqual([bob.record.serial]);
      await bobClient.waitFor(/process exiting/);
      await bobRelay.stop();

      const retry = await droppedTwice(
        bobProfile,
        new RegExp(`tls-crypt-v2-verify: refused serial ${bob.record.serial}: revoked`),
      );
      expect(retry.server).toMatch(/TLS CRYPT V2 VERIFY SCRIPT ERROR/);
      // No TLS: the server never read Bob's certificate (not even to find it on the CRL), and the client never saw
      // the server's certificate; all it got back is the stateless reset that opens the exchange. (Lines naming
      // Bob's CN may still come from his halted session's last moments, so the checks are on TLS's own lines.)
      expect(retry.server).not.toMatch(TLS_STARTED);
      onlyTheStatelessReset(retry.packets);
      expect(retry.server).not.toMatch(/Peer Connection Initiated/);
      expect(retry.client).not.toMatch(/VERIFY OK/);
      expect(retry.client).not.toMatch(CONNECTED);
      expect(janeClient.log()).not.toMatch(/process exiting/);
    }, 120_000);

    it('drops a client without a key, with a key another server wrapped, or with a key that names no certificate of ours', async () => {
      const withoutKey = await strangerProfile('eve', () => undefined);
      const eve = await droppedTwice(withoutKey, /TLS Error: could not determine wrapping/);
      expect(eve.server).not.toMatch(TLS_STARTED);
      silent(eve.packets);
      expect(eve.client).not.toMatch(/VERIFY OK/);

      const foreignKey = await strangerProfile('mallory', (serial) =>
        wrapTlsCryptV2ClientKey(generateTlsCryptV2ServerKey(), serial),
      );
      const mallory = await droppedTwice(foreignKey, /client key authentication error/);
      expect(mallory.server).not.toMatch(TLS_STARTED);
      silent(mallory.packets);
      expect(mallory.server).not.toMatch(/TLS CRYPT V2 VERIFY SCRIPT/);
      expect(mallory.client).not.toMatch(/VERIFY OK/);

      // Wrapped by our server key but with OpenVPN's own metadata, not a certificate's serial: unknown, refused.
      const unnamedKeyFile = join(vpn.dir.path, 'unnamed.key');
      execFileSync(OPENVPN!, [
        '--tls-crypt-v2',
        serverKeyFile,
        '--genkey',
        'tls-crypt-v2-client',
        unnamedKeyFile,
        Buffer.from('someone').toString('base64'),
      ]);
      const unnamed = await strangerProfile('trudy', () => readFileSync(unnamedKeyFile, 'utf8'));
      const trudy = await droppedTwice(unnamed, /tls-crypt-v2-verify: refused: unknown client key/);
      expect(trudy.server).not.toMatch(TLS_STARTED);
      onlyTheStatelessReset(trudy.packets);
    }, 120_000);

    it('rotates the server key: every profile wrapped by the old key is dropped, and one issued after connects', async () => {
      const kim = await admin.issue({ slackId: 'U0KIM', displayName: 'Kim Before', actor: 'U0ADMIN' });
      const before = vpn.file('kim-before.ovpn', kim.profile);
      const kimClient = vpn.startClient(before);
      await kimClient.waitFor(CONNECTED);
      await kimClient.stop();

      // docs/self-hosted.md's procedure: a new key in place (here made by our own generator), then restart the server.
      writeFileSync(serverKeyFile, generateTlsCryptV2ServerKey(), { mode: 0o600 });
      await server!.stop();
      await startServer();
      const old = await droppedTwice(before, /client key authentication error/);
      expect(old.server).not.toMatch(TLS_STARTED);
      silent(old.packets);

      await admin.revoke({ target: { slackId: 'U0KIM' }, reason: 'superseded', actor: 'U0ADMIN' });
      const reissued = await admin.issue({ slackId: 'U0KIM', displayName: 'Kim After', actor: 'U0ADMIN' });
      const after = vpn.startClient(vpn.file('kim-after.ovpn', reissued.profile));
      await after.waitFor(CONNECTED);
    }, 120_000);
  },
);
