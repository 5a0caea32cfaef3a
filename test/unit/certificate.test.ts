import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { VpnChatopsError } from '../../src/domain/errors';
import { CertificateAuthority, createCa, loadCa } from '../../src/pki/ca';
import { issueWithNewKey, signCertificateFor } from '../../src/pki/certificate';
import { testCa } from '../helpers/ca';

const CN = 'jane-doe.laptop-U012ABCDEF.vpn.example.com';
let ca: CertificateAuthority;
beforeAll(async () => {
  ca = await testCa();
});

describe('client certificates', () => {
  it('last the hours asked for when access is time-boxed, whatever the days say', async () => {
    const now = new Date('2026-06-01T12:00:00Z');
    const issued = await issueWithNewKey({ ca, cn: CN, now, days: 365, hours: 8 });
    expect(issued.notAfter).toEqual(new Date('2026-06-01T20:00:00Z'));
    expect(new Date(new X509Certificate(issued.certPem).validTo)).toEqual(issued.notAfter);
  });

  it('have the structure VPNs expect', async () => {
    const now = new Date('2026-06-01T12:00:00Z');
    const issued = await issueWithNewKey({ ca, cn: CN, now, days: 365 });
    const x509 = new X509Certificate(issued.certPem);
    expect(x509.subject).toBe(`CN=${CN}`);
    expect(x509.checkIssued(ca.x509)).toBe(true);
    expect(x509.verify(ca.x509.publicKey)).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(issued.keyPem))).toBe(true);
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(x509.ca).toBe(false);
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(normalize(x509.serialNumber)).toBe(issued.serial);

    const cert = forge.pki.certificateFromPem(issued.certPem);
    expect(forge.pki.oids[cert.siginfo.algorithmOid]).toBe('sha256WithRSAEncryption');
    expect(cert.getExtension('basicConstraints')).toMatchObject({ cA: false });
    expect(cert.getExtension('keyUsage')).toMatchObject({
      digitalSignature: true,
      keyEncipherment: true,
      keyCertSign: false,
    });
    expect(cert.getExtension('extKeyUsage')).toMatchObject({ clientAuth: true });
    const aki = cert.getExtension('authorityKeyIdentifier') as { value: string };
    // AKI = SEQUENCE { [0] keyIdentifier }: the issuer's key id, not the subject's (forge#462).
    expect(Buffer.from(aki.value, 'binary').subarray(4).toString('hex')).toBe(ca.keyId.toString('hex'));
    const ski = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string };
    expect(ski.subjectKeyIdentifier).not.toBe(ca.keyId.toString('hex'));
    // UTF8String CN, as OpenSSL and Easy-RSA write it.
    expect(cert.subject.getField('CN').valueTagClass).toBe(forge.asn1.Type.UTF8);

    expect(issued.notBefore.getTime()).toBe(now.getTime() - 5 * 60_000);
    expect(issued.notAfter.getTime()).toBe(now.getTime() + 365 * 86_400_000);
  });

  it('use random, positive serials of 16 octets with no collisions', async () => {
    const serials = new Set<string>();
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (let i = 0; i < 200; i++) {
      const issued = signCertificateFor({ ca, cn: CN, publicKey });
      const der = new X509Certificate(issued.certPem).raw;
      expect(issued.serial).toMatch(/^([1-9A-F][0-9A-F]|0[1-9A-F])([0-9A-F]{2})*$/);
      const value = BigInt(`0x${issued.serial}`);
      // Top bit cleared (a positive INTEGER with no 00 pad), and ≥ 64 bits of randomness in practice.
      expect(value).toBeLessThan(2n ** 127n);
      expect(value).toBeGreaterThan(2n ** 64n);
      expect(der.includes(Buffer.from(`0210${issued.serial.padStart(32, '0')}`, 'hex'))).toBe(true);
      serials.add(issued.serial);
    }
    expect(serials.size).toBe(200);
  });

  it('avoid serials already taken', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let calls = 0;
    const issued = signCertificateFor({ ca, cn: CN, publicKey, isSerialTaken: () => ++calls < 3 });
    expect(calls).toBe(3);
    expect(issued.serial).toBeTruthy();
  });

  it('never outlive the CA', async () => {
    const shortCa = loadCa(await createCa({ commonName: 'Short CA', days: 30 }));
    const issued = await issueWithNewKey({ ca: shortCa, cn: CN, days: 365 });
    expect(issued.notAfter.getTime()).toBe(shortCa.notAfter.getTime());
  });

  it('chain to a CA whose name is not ASCII, with its subject copied byte for byte', async () => {
    const umlautCa = loadCa(await createCa({ commonName: 'Müller VPN CA — Zürich' }));
    const issued = await issueWithNewKey({ ca: umlautCa, cn: CN });
    const x509 = new X509Certificate(issued.certPem);
    expect(x509.issuer).toBe('CN=Müller VPN CA — Zürich');
    expect(x509.checkIssued(umlautCa.x509)).toBe(true);
    expect(x509.verify(umlautCa.x509.publicKey)).toBe(true);
  });

  it('refuse EC and RSA-1024 keys', () => {
    for (const publicKey of [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
    ]) {
      expect(() => signCertificateFor({ ca, cn: CN, publicKey })).toThrow(VpnChatopsError);
    }
  });

  it('server profile carries serverAuth and a SAN', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const issued = signCertificateFor({ ca, cn: 'server.vpn.local', publicKey, profile: 'server' });
    const x509 = new X509Certificate(issued.certPem);
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x509.subjectAltName).toBe('DNS:server.vpn.local');
  });
});

/** Node prints serials as whole bytes, upper-case: the canonical form. */
const normalize = (serial: string) => serial.toUpperCase();
