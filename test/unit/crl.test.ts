import { errorOf } from '../helpers/errors';
import { Revocation } from '../../src/domain/revocation';
import { CertificateAuthority } from '../../src/pki/ca';
import { MAX_CRL_ENTRIES, buildCrl, parseCrl } from '../../src/pki/crl';
import { randomSerial } from '../../src/pki/serial';
import { testCa } from '../helpers/ca';

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
beforeAll(async () => {
  [ca, otherCa] = await Promise.all([testCa(), testCa('Other CA')]);
});

const NOW = new Date('2026-11-22T10:00:00.400Z');
const revocations = (count: number): Revocation[] =>
  Array.from({ length: count }, (_, i) => ({
    serial: randomSerial(),
    revokedAt: new Date(NOW.getTime() - i * 1000),
    reason: (['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'] as const)[
      i % 5
    ],
  }));

describe('buildCrl / parseCrl', () => {
  it('round-trips number, dates, serials and reasons, signed by the CA', () => {
    const entries = revocations(25);
    const built = buildCrl({ ca, number: 42n, revocations: entries, now: NOW, days: 180 });
    expect(built.pem).toMatch(/^-----BEGIN X509 CRL-----\n/);
    const parsed = parseCrl(built.pem, ca);
    expect(parsed.number).toBe(42n);
    expect(parsed.issuer).toBe('CN=Test VPN CA');
    expect(parsed.issuerDer.equals(ca.subjectDer)).toBe(true);
    expect(parsed.authorityKeyId).toBe(ca.keyId.toString('hex'));
    expect(parsed.signedBy).toEqual({ signatureValid: true, issuerMatches: true });
    // thisUpdate backdated 5 minutes (whole seconds); nextUpdate = now + CRL_DAYS.
    expect(parsed.thisUpdate.toISOString()).toBe('2026-11-22T09:55:00.000Z');
    expect(parsed.nextUpdate?.toISOString()).toBe('2027-05-21T10:00:00.000Z');
    expect(parsed.revocations).toEqual(
      entries.map((e) => ({ ...e, revokedAt: new Date(Math.floor(e.revokedAt.getTime() / 1000) * 1000) })),
    );
  });

  it('writes a stored removeFromCRL as a plain (unspecified) revocation: that reason belongs in delta CRLs only', () => {
    const serial = randomSerial();
    const built = buildCrl({
      ca,
      number: 3n,
      revocations: [{ serial, revokedAt: NOW, reason: 'removeFromCRL' }],
      now: NOW,
    });
    expect(parseCrl(built.der, ca).revocations).toEqual([
      { serial, revokedAt: new Date('2026-11-22T10:00:00.000Z'), reason: 'unspecified' },
    ]);
  });

  it('omits revokedCertificates when nothing is revoked', () => {
    const parsed = parseCrl(buildCrl({ ca, number: 1n, revocations: [], now: NOW }).der, ca);
    expect(parsed.revocations).toEqual([]);
    expect(parsed.number).toBe(1n);
  });

  it('encodes dates from 2050 as GeneralizedTime', () => {
    const parsed = parseCrl(
      buildCrl({ ca, number: 2n, revocations: [], now: new Date('2049-12-01T00:00:00Z'), days: 365 }).pem,
    );
    expect(parsed.nextUpdate?.toISOString()).toBe('2050-12-01T00:00:00.000Z');
  });

  it('handles CRL numbers up to 20 octets', () => {
    const big = 2n ** 159n - 1n;
    expect(parseCrl(buildCrl({ ca, number: big, revocations: [], now: NOW }).pem).number).toBe(big);
    for (const bad of [0n, -1n, 2n ** 160n])
      expect(errorOf(() => buildCrl({ ca, number: bad, revocations: [] })).code).toBe('CRL_NUMBER');
  });

  it(`refuses more than ${MAX_CRL_ENTRIES} entries, saying what to do`, () => {
    const error = errorOf(() => buildCrl({ ca, number: 3n, revocations: revocations(MAX_CRL_ENTRIES + 1) }));
    expect(error.code).toBe('CRL_TOO_LARGE');
    expect(error.message).toMatch(/20,001 certificates.*at most 20,000.*CERT_DAYS/s);
  });

  it('accepts exactly 20,000 entries', () => {
    const built = buildCrl({ ca, number: 4n, revocations: revocations(MAX_CRL_ENTRIES), now: NOW });
    const parsed = parseCrl(built.pem, ca);
    expect(parsed.revocations).toHaveLength(MAX_CRL_ENTRIES);
    expect(parsed.signedBy?.signatureValid).toBe(true);
  });

  it('refuses a serial listed twice and a malformed serial', () => {
    const [first] = revocations(1);
    expect(
      errorOf(() =>
        buildCrl({ ca, number: 5n, revocations: [first, { ...first, serial: `00${first.serial.toLowerCase()}` }] }),
      ).message,
    ).toMatch(/listed twice/);
    expect(errorOf(() => buildCrl({ ca, number: 5n, revocations: [{ ...first, serial: 'xyz' }] })).code).toBe(
      'INVALID_CRL',
    );
  });

  it('reports a CRL signed by another CA, and one that was tampered with', () => {
    const built = buildCrl({ ca, number: 6n, revocations: revocations(3), now: NOW });
    expect(parseCrl(built.pem, otherCa).signedBy).toEqual({ signatureValid: false, issuerMatches: false });
    const tampered = Buffer.from(built.der);
    tampered[tampered.indexOf(Buffer.from('Test VPN CA')) + 1] ^= 0x01;
    expect(parseCrl(tampered, ca).signedBy).toEqual({ signatureValid: false, issuerMatches: false });
  });

  it.each([
    ['garbage text', 'not a crl'],
    ['a certificate', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    ['truncated DER', Buffer.from('3082ffff3082', 'hex')],
    ['trailing bytes', Buffer.from('300030', 'hex')],
  ])('rejects %s with a typed error', (_label, input) => {
    expect(['INVALID_PEM', 'INVALID_CRL']).toContain(errorOf(() => parseCrl(input)).code);
  });
});
