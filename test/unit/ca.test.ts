import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { errorOf } from '../helpers/errors';
import { CaMaterial, createCa, loadCa } from '../../src/pki/ca';
import { commonNameField, forgePublicKey, signCertificate } from '../../src/pki/forge-signing';

let material: CaMaterial;
beforeAll(async () => {
  material = await createCa({ commonName: 'Unit CA', now: new Date('2026-01-01T00:00:00Z') });
});

/** A CA-like certificate with chosen extensions, to prove loadCa refuses the wrong ones. */
function craftCa(extensions: object[]): CaMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forgePublicKey(publicKey);
  certificate.serialNumber = '01';
  certificate.validity.notBefore = new Date();
  certificate.validity.notAfter = new Date(Date.now() + 86_400_000);
  certificate.setSubject(commonNameField('Crafted'));
  certificate.setIssuer(commonNameField('Crafted'));
  certificate.setExtensions(extensions);
  return {
    certPem: signCertificate(certificate, privateKey),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

describe('createCa', () => {
  it('makes an RSA-2048, SHA-256, 10-year CA with critical CA:TRUE, keyCertSign+cRLSign and an SKI', () => {
    const x509 = new X509Certificate(material.certPem);
    expect(x509.ca).toBe(true);
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(x509.verify(x509.publicKey)).toBe(true);
    const years = (Date.parse(x509.validTo) - Date.parse('2026-01-01T00:00:00Z')) / (365.25 * 86_400_000);
    expect(years).toBeCloseTo(10, 1);
    const cert = forge.pki.certificateFromPem(material.certPem);
    expect(forge.pki.oids[cert.siginfo.algorithmOid]).toBe('sha256WithRSAEncryption');
    expect(cert.getExtension('basicConstraints')).toMatchObject({ cA: true, critical: true });
    expect(cert.getExtension('keyUsage')).toMatchObject({
      keyCertSign: true,
      cRLSign: true,
      critical: true,
      digitalSignature: false,
    });
    expect(cert.getExtension('subjectKeyIdentifier')).toBeDefined();
    expect(material.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});

describe('loadCa', () => {
  it('loads PKCS#8 and PKCS#1 keys, plain or passphrase-encrypted', () => {
    const key = createPrivateKey(material.keyPem);
    const variants = [
      { keyPem: material.keyPem },
      { keyPem: key.export({ type: 'pkcs1', format: 'pem' }).toString() },
      {
        keyPem: key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'sesame' }).toString(),
        passphrase: 'sesame',
      },
      {
        keyPem: key.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'sesame' }).toString(),
        passphrase: 'sesame',
      },
    ];
    for (const variant of variants) {
      const ca = loadCa({ certPem: material.certPem, ...variant });
      expect(ca.x509.subject).toBe('CN=Unit CA');
      expect(ca.keyId.toString('hex')).toBe(
        (
          forge.pki.certificateFromPem(material.certPem).getExtension('subjectKeyIdentifier') as {
            subjectKeyIdentifier: string;
          }
        ).subjectKeyIdentifier,
      );
    }
  });

  it('says when an encrypted key has no passphrase or the wrong one', () => {
    const encrypted = createPrivateKey(material.keyPem)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' })
      .toString();
    expect(errorOf(() => loadCa({ certPem: material.certPem, keyPem: encrypted })).message).toMatch(
      /encrypted; supply its passphrase/,
    );
    const wrong = errorOf(() => loadCa({ certPem: material.certPem, keyPem: encrypted, passphrase: 'wrong' }));
    expect(wrong.code).toBe('WRONG_PASSPHRASE');
    expect(wrong.message).toMatch(/passphrase is wrong/);
  });

  it.each([
    ['garbage', 'hello world'],
    ['an empty string', ''],
    ['a truncated certificate', '-----BEGIN CERTIFICATE-----\nMIIBIjAN\n-----END CERTIFICATE-----\n'],
  ])('rejects %s as the certificate with INVALID_PEM', (_label, certPem) => {
    expect(errorOf(() => loadCa({ certPem, keyPem: material.keyPem })).code).toBe('INVALID_PEM');
  });

  it('rejects a garbage key with INVALID_PEM', () => {
    const error = errorOf(() =>
      loadCa({ certPem: material.certPem, keyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }),
    );
    expect(error.code).toBe('INVALID_PEM');
  });

  it('rejects a CA without cRLSign, naming the consequence', () => {
    const crafted = craftCa([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, critical: true },
    ]);
    const error = errorOf(() => loadCa(crafted));
    expect(error.code).toBe('INVALID_CA');
    expect(error.message).toMatch(/cRLSign/);
  });

  it('rejects a certificate that is not a CA', () => {
    const crafted = craftCa([{ name: 'basicConstraints', cA: false }]);
    expect(errorOf(() => loadCa(crafted)).message).toMatch(/not a CA certificate/);
  });

  it('rejects a key that belongs to another certificate', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(errorOf(() => loadCa({ certPem: material.certPem, keyPem: other })).code).toBe('KEY_MISMATCH');
  });

  it('rejects an EC key with UNSUPPORTED_KEY', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const error = errorOf(() => loadCa({ certPem: material.certPem, keyPem: ec }));
    expect(error.code).toBe('UNSUPPORTED_KEY');
    expect(error.message).toMatch(/EC.*RSA keys only/);
  });
});
