import { Revocation } from '../../src/domain/revocation';
import { buildCrl } from '../../src/pki/crl';
import { CONNECTED, RunningOpenVpn, TestVpn, prepareTestVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';

describeWith(
  { openvpn: OPENVPN !== undefined, '/dev/net/tun': HAS_TUN },
  'a real OpenVPN 2.6 server and client',
  () => {
    let vpn: TestVpn;
    let server: RunningOpenVpn;
    let crlNumber = 0n;

    /** Replace the server's CRL the way an endpoint adapter must: whole file, atomically. */
    function publish(revocations: Revocation[], now?: Date) {
      vpn.writeCrl(buildCrl({ ca: vpn.ca, number: ++crlNumber, revocations, now, days: 180 }).pem);
    }

    /** Connect once; resolve with the client's log once it is connected or the server has refused it. */
    async function connect(profile: string, expect: 'connected' | RegExp): Promise<string> {
      const before = server.log().length;
      const client = vpn.startClient(profile);
      try {
        if (expect === 'connected') return await client.waitFor(CONNECTED);
        await server.waitFor(expect, { since: before });
        // Give a wrongly accepted client the chance to finish before we look.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return client.log();
      } finally {
        await client.stop();
      }
    }

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'openvpn', initialCrl: false });
      publish([]);
      server = await vpn.start();
    });
    afterAll(async () => {
      await vpn?.stop();
    });

    it('connects with a valid certificate, refuses a revoked one, and locks everyone out under an expired CRL (seed 000)', async () => {
      const jane = await vpn.profileFor('Jane Doe', 'U0JANE');
      const bob = await vpn.profileFor('Bob Leaver', 'U0BOB');

      expect(await connect(jane.path, 'connected')).toMatch(/VERIFY OK: depth=0, CN=server\.vpn\.test/);
      expect(await connect(bob.path, 'connected')).toMatch(CONNECTED);

      const bobRevoked: Revocation = { serial: bob.issued.serial, revokedAt: new Date(), reason: 'affiliationChanged' };
      publish([bobRevoked]);
      expect(await connect(bob.path, /VERIFY ERROR: depth=0, error=certificate revoked/)).not.toMatch(CONNECTED);
      expect(await connect(jane.path, 'connected')).toMatch(CONNECTED);

      // The outage: the CRL's nextUpdate has passed, so even Jane's valid certificate is refused.
      publish([bobRevoked], new Date(Date.now() - 181 * 86_400_000));
      expect(await connect(jane.path, /VERIFY ERROR: depth=0, error=CRL has expired/)).not.toMatch(CONNECTED);

      // And the fix: a fresh CRL lets Jane back in while Bob stays out.
      publish([bobRevoked]);
      expect(await connect(jane.path, 'connected')).toMatch(CONNECTED);
      expect(await connect(bob.path, /certificate revoked/)).not.toMatch(CONNECTED);
    }, 120_000);

    it('drops handshakes that lack the tls-crypt key before any TLS work (seed 002)', async () => {
      const withoutKey = await vpn.profileFor('Eve', 'U0EVE', { withTlsCrypt: false });
      const log = await connect(withoutKey.path, /tls-crypt unwrapping failed/);
      expect(log).not.toMatch(CONNECTED);
      expect(server.log()).not.toMatch(/VERIFY OK: depth=0, CN=eve/);
    }, 60_000);
  },
);
