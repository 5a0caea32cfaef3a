import { X509Certificate, generateKeyPairSync, sign } from 'node:crypto';
import forge from 'node-forge';
import { errorOf } from '../helpers/errors';
import { CertificateAuthority } from '../../src/pki/ca';
import { signCsr } from '../../src/pki/certificate';
import { integer, oid, sequence, tlv, TAG } from '../../src/pki/der';
import { pemEncode } from '../../src/pki/pem';
import { testCa } from '../helpers/ca';

const CN = 'jane-U012ABCDEF.vpn.example.com';
let ca: CertificateAuthority;
beforeAll(async () => {
  ca = await testCa();
});

/** A CSR as a user's tools would make it, asking for things it must not get. */
function forgeCsr(options: { bits?: number; md?: forge.md.MessageDigest } = {}): string {
  const keys = forge.pki.rsa.generateKeyPair({ bits: options.bits ?? 2048 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setSubject([
    { name: 'commonName', value: 'admin-UBOSS.vpn.example.com' },
    { name: 'organizationName', value: 'Evil' },
  ]);
  csr.setAttributes([
    {
      name: 'extensionRequest',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'vpn.example.com' }] },
      ],
    },
  ]);
  csr.sign(keys.privateKey, options.md ?? forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

const codeOf = (fn: () => unknown) => {
  const error = errorOf(fn);
  return `${error.code}: ${error.message}`;
};

describe('signing a CSR', () => {
  it('keeps only the public key: our CN, a client certificate, no requested extensions', () => {
    const issued = signCsr({ ca, csrPem: forgeCsr(), cn: CN });
    const x509 = new X509Certificate(issued.certPem);
    expect(x509.subject).toBe(`CN=${CN}`);
    expect(x509.ca).toBe(false);
    expect(x509.subjectAltName).toBeUndefined();
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(x509.verify(ca.x509.publicKey)).toBe(true);
  });

  it('rejects a CSR whose signature does not verify', () => {
    const pem = forgeCsr();
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 10] ^= 0xff;
    expect(codeOf(() => signCsr({ ca, csrPem: pemEncode('CERTIFICATE REQUEST', der), cn: CN }))).toMatch(
      /^INVALID_CSR: .*does not verify/,
    );
  });

  it('rejects a CSR for an RSA-1024 key', () => {
    expect(codeOf(() => signCsr({ ca, csrPem: forgeCsr({ bits: 1024 }), cn: CN }))).toMatch(
      /^UNSUPPORTED_KEY: .*RSA-1024/,
    );
  });

  it('rejects a SHA-1 signed CSR', () => {
    expect(codeOf(() => signCsr({ ca, csrPem: forgeCsr({ md: forge.md.sha1.create() }), cn: CN }))).toMatch(
      /^INVALID_CSR: .*sha256WithRSAEncryption/,
    );
  });

  it('rejects a CSR for an EC key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const info = sequence(
      integer(0),
      sequence(),
      publicKey.export({ type: 'spki', format: 'der' }),
      tlv(TAG.CONTEXT_0, Buffer.alloc(0)),
    );
    const signature = sign('sha256', info, privateKey);
    const der = sequence(
      info,
      sequence(oid('1.2.840.10045.4.3.2')),
      tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), signature])),
    );
    expect(codeOf(() => signCsr({ ca, csrPem: pemEncode('CERTIFICATE REQUEST', der), cn: CN }))).toMatch(
      /^UNSUPPORTED_KEY: .*EC/,
    );
  });

  it.each([
    ['garbage text', 'please sign me', /^INVALID_PEM/],
    ['an empty CSR', '', /^INVALID_PEM/],
    [
      'a certificate instead of a CSR',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      /^INVALID_PEM/,
    ],
    [
      'a truncated CSR',
      '-----BEGIN CERTIFICATE REQUEST-----\nMIICijCCAXICAQAw\n-----END CERTIFICATE REQUEST-----\n',
      /^INVALID_CSR/,
    ],
    ['random bytes', pemEncode('CERTIFICATE REQUEST', Buffer.from('30820000deadbeef', 'hex')), /^INVALID_CSR/],
  ])('rejects %s with a clear error', (_label, csrPem, expected) => {
    expect(codeOf(() => signCsr({ ca, csrPem, cn: CN }))).toMatch(expected);
  });
});
