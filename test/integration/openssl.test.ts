import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VpnChatopsError } from '../../src/domain/errors';
import { CertificateAuthority } from '../../src/pki/ca';
import { issueWithNewKey } from '../../src/pki/certificate';
import { buildCrl } from '../../src/pki/crl';
import { signCsr } from '../../src/pki/certificate';
import { randomSerial } from '../../src/pki/serial';
import { testCa } from '../helpers/ca';
import { OPENSSL, describeWith, run, tempDir } from '../helpers/tools';

describeWith({ openssl: OPENSSL !== undefined }, 'OpenSSL accepts what we sign', () => {
  const openssl = (args: string[]) => run(OPENSSL!, args);
  let dir: ReturnType<typeof tempDir>;
  let ca: CertificateAuthority;
  const file = (name: string, text: string) => {
    const path = join(dir.path, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    dir = tempDir('openssl');
    ca = await testCa();
    file('ca.crt', ca.certPem);
  });
  afterAll(() => dir.remove());

  const verify = (cert: string, crl: string) =>
    openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslclient',
      '-CAfile',
      join(dir.path, 'ca.crt'),
      '-crl_check',
      '-CRLfile',
      crl,
      cert,
    ]);

  it('verifies a valid certificate, refuses a revoked one, and refuses both under an expired CRL', async () => {
    const good = await issueWithNewKey({ ca, cn: 'jane-U012ABCDEF.vpn.example.com' });
    const bad = await issueWithNewKey({ ca, cn: 'bob-U0BOB.vpn.example.com' });
    const goodPath = file('good.crt', good.certPem);
    const badPath = file('bad.crt', bad.certPem);
    const revoked = [{ serial: bad.serial, revokedAt: new Date(), reason: 'affiliationChanged' as const }];

    const crl = file('crl.pem', buildCrl({ ca, number: 7n, revocations: revoked }).pem);
    const ok = await verify(goodPath, crl);
    expect(ok.stdout).toContain(`${goodPath}: OK`);
    expect(ok.code).toBe(0);
    const refused = await verify(badPath, crl);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/error 23 at 0 depth lookup: certificate revoked/);

    // Seed 000: a CRL past its nextUpdate locks everyone out, valid certificates included.
    const stale = file(
      'expired.pem',
      buildCrl({ ca, number: 8n, revocations: revoked, now: new Date(Date.now() - 200 * 86_400_000), days: 180 }).pem,
    );
    for (const cert of [goodPath, badPath]) {
      const result = await verify(cert, stale);
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/CRL has expired/);
    }
  });

  it('shows the number, nextUpdate, AKI and reasons we set, and verifies the CRL signature', async () => {
    const reasons = ['keyCompromise', 'superseded', 'cessationOfOperation', 'unspecified'] as const;
    const revocations = reasons.map((reason) => ({ serial: randomSerial(), revokedAt: new Date(), reason }));
    const built = buildCrl({ ca, number: 1234567n, revocations, days: 180 });
    const path = file('text.pem', built.pem);
    const text = await openssl(['crl', '-in', path, '-noout', '-text', '-CAfile', join(dir.path, 'ca.crt')]);
    expect(text.stderr).toMatch(/verify OK/);
    expect(text.stdout).toMatch(/Version 2 \(0x1\)/);
    expect(text.stdout).toMatch(/X509v3 CRL Number: \n\s+1234567/);
    expect(text.stdout).toMatch(/X509v3 Authority Key Identifier: \n\s+([0-9A-F]{2}:?)+/);
    const expected = built.nextUpdate
      .toUTCString()
      .replace(
        /^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/,
        (_m, d, mo, y, t) => `${mo} ${String(Number(d)).padStart(2, ' ')} ${t} ${y} GMT`,
      );
    expect(text.stdout).toContain(`Next Update: ${expected}`);
    for (const label of ['Key Compromise', 'Superseded', 'Cessation Of Operation'])
      expect(text.stdout).toContain(label);
    for (const { serial } of revocations) expect(text.stdout).toContain(`Serial Number: ${serial}`);
    // RFC 5280 §5.3.1: no reason extension for `unspecified`.
    expect(text.stdout.match(/CRL Reason Code/g)).toHaveLength(3);
  });

  it('keeps a certificate revoked when its stored reason is removeFromCRL (an earlier vpnctl, an imported index.txt)', async () => {
    const kept = await issueWithNewKey({ ca, cn: 'dave-U0DAVE.vpn.example.com' });
    const certPath = file('dave.crt', kept.certPem);
    const crl = file(
      'remove-from-crl.pem',
      buildCrl({
        ca,
        number: 11n,
        revocations: [{ serial: kept.serial, revokedAt: new Date(), reason: 'removeFromCRL' }],
      }).pem,
    );
    const refused = await verify(certPath, crl);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/error 23 at 0 depth lookup: certificate revoked/);
    const text = await openssl(['crl', '-in', crl, '-noout', '-text']);
    expect(text.stdout).toContain(`Serial Number: ${kept.serial}`);
    expect(text.stdout).not.toMatch(/CRL Reason Code|Remove From CRL/);
  });

  it('accepts a 20,000-entry CRL', async () => {
    const revocations = Array.from({ length: 20_000 }, () => ({
      serial: randomSerial(),
      revokedAt: new Date(),
      reason: 'superseded' as const,
    }));
    const good = await issueWithNewKey({ ca, cn: 'big-U0BIG.vpn.example.com' });
    const result = await verify(
      file('big.crt', good.certPem),
      file('big.pem', buildCrl({ ca, number: 9n, revocations }).pem),
    );
    expect(result.code).toBe(0);
  });

  it('signs a CSR made by `openssl req`, with our CN in place of the requested one', async () => {
    const key = join(dir.path, 'user.key');
    const csr = join(dir.path, 'user.csr');
    const made = await openssl([
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      '/CN=root/O=Evil',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]);
    expect(made.code).toBe(0);
    const issued = signCsr({ ca, csrPem: readFileSync(csr, 'utf8'), cn: 'jane.laptop-U012ABCDEF.vpn.example.com' });
    const cert = file('user.crt', issued.certPem);
    const crl = file('empty.pem', buildCrl({ ca, number: 10n, revocations: [] }).pem);
    expect((await verify(cert, crl)).code).toBe(0);
    const text = await openssl(['x509', '-in', cert, '-noout', '-subject', '-ext', 'basicConstraints']);
    expect(text.stdout).toContain('subject=CN = jane.laptop-U012ABCDEF.vpn.example.com');
    expect(text.stdout).toContain('CA:FALSE');
    const modulus = async (args: string[]) => (await openssl(args)).stdout.trim();
    expect(await modulus(['x509', '-in', cert, '-noout', '-modulus'])).toBe(
      await modulus(['rsa', '-in', key, '-noout', '-modulus']),
    );
  });

  it('refuses an EC CSR made by `openssl req`', async () => {
    const csr = join(dir.path, 'ec.csr');
    await openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir.path, 'ec.key'),
      '-out',
      csr,
      '-subj',
      '/CN=x',
    ]);
    expect(() => signCsr({ ca, csrPem: readFileSync(csr, 'utf8'), cn: 'x-U0X1.vpn.example.com' })).toThrow(
      VpnChatopsError,
    );
    expect(() => signCsr({ ca, csrPem: readFileSync(csr, 'utf8'), cn: 'x-U0X1.vpn.example.com' })).toThrow(/EC/);
  });
});
