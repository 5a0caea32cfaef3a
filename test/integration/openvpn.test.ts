import { generateKeyPairSync } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openvpnClientBase } from '../../src/adapters/openvpn/client-base';
import { encodeCn } from '../../src/domain/cn';
import { Revocation } from '../../src/domain/revocation';
import { CertificateAuthority } from '../../src/pki/ca';
import { IssuedWithKey, issueWithNewKey, signCertificateFor } from '../../src/pki/certificate';
import { buildCrl } from '../../src/pki/crl';
import { assembleProfile } from '../../src/pki/profile';
import { generateTlsCryptKey } from '../../src/pki/tls-crypt';
import { testCa } from '../helpers/ca';
import { CONNECTED, RunningOpenVpn, clientArgs, freeUdpPort, serverArgs, startOpenVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith, tempDir } from '../helpers/tools';

describeWith({ openvpn: OPENVPN !== undefined, '/dev/net/tun': HAS_TUN }, 'a real OpenVPN 2.6 server and client', () => {
  let dir: ReturnType<typeof tempDir>;
  let ca: CertificateAuthority;
  let server: RunningOpenVpn;
  let port: number;
  let tlsCrypt: string;
  let crlNumber = 0n;
  const crlPath = () => join(dir.path, 'crl.pem');

  /** Replace the server's CRL the way an endpoint adapter must: whole file, atomically. */
  function publish(revocations: Revocation[], now?: Date) {
    const crl = buildCrl({ ca, number: ++crlNumber, revocations, now, days: 180 });
    writeFileSync(`${crlPath()}.tmp`, crl.pem);
    renameSync(`${crlPath()}.tmp`, crlPath());
  }

  async function profileFor(name: string, slackId: string): Promise<{ issued: IssuedWithKey; path: string }> {
    const issued = await issueWithNewKey({ ca, cn: encodeCn({ displayName: name, slackId, domain: 'vpn.test' }) });
    const base = openvpnClientBase({ remote: `127.0.0.1 ${port} udp`, caPem: ca.certPem });
    const path = join(dir.path, `${slackId}.ovpn`);
    writeFileSync(path, assembleProfile({ base, certPem: issued.certPem, keyPem: issued.keyPem, tlsCryptKey: tlsCrypt }), { mode: 0o600 });
    return { issued, path };
  }

  /** Connect once; resolve with the client's log once it is connected or the server has refused it. */
  async function connect(profile: string, expect: 'connected' | RegExp): Promise<string> {
    const before = server.log().length;
    const client = startOpenVpn(clientArgs(profile));
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
    dir = tempDir('openvpn');
    ca = await testCa();
    port = await freeUdpPort();
    tlsCrypt = generateTlsCryptKey();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const serverCert = signCertificateFor({ ca, cn: 'server.vpn.test', publicKey, profile: 'server' });
    const file = (name: string, text: string) => {
      writeFileSync(join(dir.path, name), text, { mode: 0o600 });
      return join(dir.path, name);
    };
    publish([]);
    server = startOpenVpn(
      serverArgs({
        port,
        ca: file('ca.crt', ca.certPem),
        cert: file('server.crt', serverCert.certPem),
        key: file('server.key', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
        crl: crlPath(),
        tlsCrypt: file('tc.key', tlsCrypt),
      }),
    );
    await server.waitFor(CONNECTED);
  });
  afterAll(async () => {
    await server?.stop();
    dir?.remove();
  });

  it('connects with a valid certificate, refuses a revoked one, and locks everyone out under an expired CRL (seed 000)', async () => {
    const jane = await profileFor('Jane Doe', 'U0JANE');
    const bob = await profileFor('Bob Leaver', 'U0BOB');

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
    const eve = await profileFor('Eve', 'U0EVE');
    const withoutKey = join(dir.path, 'no-tls-crypt.ovpn');
    const base = openvpnClientBase({ remote: `127.0.0.1 ${port} udp`, caPem: ca.certPem });
    writeFileSync(withoutKey, assembleProfile({ base, certPem: eve.issued.certPem, keyPem: eve.issued.keyPem }), { mode: 0o600 });
    const log = await connect(withoutKey, /tls-crypt unwrapping failed/);
    expect(log).not.toMatch(CONNECTED);
    expect(server.log()).not.toMatch(/VERIFY OK: depth=0, CN=eve/);
  }, 60_000);
});
