import fs, { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { VpnChatopsError } from '../../src/domain/errors';
import { issueWithNewKey } from '../../src/pki/certificate';
import { buildCrl, parseCrl } from '../../src/pki/crl';
import { importEasyRsa } from '../../src/pki/easyrsa';
import { buildSamplePki, easyrsa } from '../helpers/easyrsa';
import { EASYRSA, OPENSSL, describeWith, run, tempDir } from '../helpers/tools';

describeWith(
  { easyrsa: EASYRSA !== undefined, openssl: OPENSSL !== undefined },
  'importing a real Easy-RSA 3 PKI',
  () => {
    let dir: ReturnType<typeof tempDir>;
    let pki: string;

    beforeAll(async () => {
      dir = tempDir('easyrsa');
      pki = join(dir.path, 'pki');
      await buildSamplePki(pki);
    }, 120_000);
    afterAll(() => dir.remove());

    it('imports the CA, every certificate with its status, and the old CRL, without opening client keys', () => {
      const read = jest.spyOn(fs, 'readFileSync');
      const imported = importEasyRsa(dir.path);
      const opened = read.mock.calls.map(([path]) => relative(pki, String(path)));
      read.mockRestore();
      expect(opened.filter((path) => path.startsWith('private/'))).toEqual(['private/ca.key']);

      expect(imported.ca.x509.subject).toBe('CN=Legacy VPN CA');
      expect(imported.certificates.map((c) => [c.cn, c.status, c.reason, c.certPem !== undefined])).toEqual([
        ['alice-U0ALICE.vpn.example.com', 'valid', undefined, true],
        ['bob-U0BOB.vpn.example.com', 'revoked', 'keyCompromise', true],
        ['carol-U0CAROL.vpn.example.com', 'valid', undefined, true],
      ]);
      expect(imported.crl?.revocations.map((r) => r.serial)).toEqual([imported.certificates[1].serial]);
      expect(imported.revocations).toEqual([
        expect.objectContaining({ serial: imported.certificates[1].serial, reason: 'keyCompromise' }),
      ]);
      expect(imported.warnings).toEqual([]);
    });

    it('issues with the imported CA and revokes an Easy-RSA certificate: OpenSSL sees both revocations', async () => {
      const imported = importEasyRsa(pki);
      const { ca } = imported;
      const taken = new Set(imported.certificates.map((c) => c.serial));
      const fresh = await issueWithNewKey({
        ca,
        cn: 'dave-U0DAVE.vpn.example.com',
        isSerialTaken: (s) => taken.has(s),
      });
      expect(taken.has(fresh.serial)).toBe(false);

      const carol = imported.certificates[2];
      const revocations = [
        ...imported.revocations,
        { serial: carol.serial, revokedAt: new Date(), reason: 'affiliationChanged' as const },
      ];
      const crl = buildCrl({ ca, number: 1n, revocations });
      const crlPath = join(dir.path, 'ours.pem');
      writeFileSync(crlPath, crl.pem);
      writeFileSync(join(dir.path, 'dave.crt'), fresh.certPem);

      const verify = (cert: string) =>
        run(OPENSSL!, ['verify', '-CAfile', join(pki, 'ca.crt'), '-crl_check', '-CRLfile', crlPath, cert]);
      const issued = (name: string) => join(pki, 'issued', `${name}.crt`);
      expect((await verify(issued('alice-U0ALICE.vpn.example.com'))).code).toBe(0);
      expect((await verify(join(dir.path, 'dave.crt'))).code).toBe(0);
      const carolResult = await verify(issued('carol-U0CAROL.vpn.example.com'));
      expect(carolResult.stdout + carolResult.stderr).toMatch(/certificate revoked/);
      const bobResult = await verify(join(pki, 'revoked', 'certs_by_serial', `${imported.certificates[1].serial}.crt`));
      expect(bobResult.stdout + bobResult.stderr).toMatch(/certificate revoked/);

      const text = await run(OPENSSL!, ['crl', '-in', crlPath, '-noout', '-text']);
      expect(text.stdout).toContain(`Serial Number: ${carol.serial}`);
      expect(text.stdout).toContain(`Serial Number: ${imported.certificates[1].serial}`);
      expect(parseCrl(crl.pem, ca).signedBy).toEqual({ signatureValid: true, issuerMatches: true });
    });

    it('keeps removeFromCRL entries (a hand-edited index.txt, an old crl.pem) revoked, as plain revocations OpenSSL refuses', async () => {
      const edited = join(dir.path, 'edited', 'pki');
      fs.cpSync(pki, edited, { recursive: true });
      const index = join(edited, 'index.txt');
      const lines = readFileSync(index, 'utf8').split('\n');
      const [bobLine, carolLine] = [
        lines.findIndex((l) => l.includes('/CN=bob-')),
        lines.findIndex((l) => l.includes('/CN=carol-')),
      ];
      const carolValid = lines[carolLine];
      const [, expiry, , serial, , subject] = carolValid.split('\t');
      // Easy-RSA cannot write this reason; `openssl ca -gencrl` (what `easyrsa gen-crl` runs) puts code 8 on the CRL.
      lines[bobLine] = lines[bobLine].replace(',keyCompromise', ',removeFromCRL');
      lines[carolLine] = ['R', expiry, '261122051841Z,removeFromCRL', serial, 'unknown', subject].join('\t');
      writeFileSync(index, lines.join('\n'));
      await easyrsa(edited, ['gen-crl']);
      // Carol is back to valid in index.txt: only the old crl.pem still lists her.
      lines[carolLine] = carolValid;
      writeFileSync(index, lines.join('\n'));
      const oldCrl = await run(OPENSSL!, ['crl', '-in', join(edited, 'crl.pem'), '-noout', '-text']);
      expect(oldCrl.stdout.match(/Remove From CRL/g)).toHaveLength(2);

      const imported = importEasyRsa(edited);
      const bob = imported.certificates.find((c) => c.cn?.startsWith('bob-'))!;
      const carol = imported.certificates.find((c) => c.cn?.startsWith('carol-'))!;
      expect([bob.status, bob.reason]).toEqual(['revoked', 'unspecified']);
      expect(imported.revocations.map((r) => [r.serial, r.reason]).sort()).toEqual(
        [
          [bob.serial, 'unspecified'],
          [carol.serial, 'unspecified'],
        ].sort(),
      );
      expect(imported.warnings).toEqual([
        'crl.pem lists 1 serial(s) that index.txt does not mark revoked; they stay revoked.',
      ]);

      const crlPath = join(dir.path, 'edited-ours.pem');
      writeFileSync(crlPath, buildCrl({ ca: imported.ca, number: 2n, revocations: imported.revocations }).pem);
      for (const cert of [
        join(edited, 'issued', 'carol-U0CAROL.vpn.example.com.crt'),
        join(edited, 'revoked', 'certs_by_serial', `${bob.serial}.crt`),
      ]) {
        const result = await run(OPENSSL!, [
          'verify',
          '-CAfile',
          join(edited, 'ca.crt'),
          '-crl_check',
          '-CRLfile',
          crlPath,
          cert,
        ]);
        expect(result.stdout + result.stderr).toMatch(/certificate revoked/);
      }
    }, 60_000);

    it('imports a passphrase-protected CA, and says so when the passphrase is missing or wrong', async () => {
      const secret = join(dir.path, 'secret', 'pki');
      await buildSamplePki(secret, 'correct horse');
      expect(readFileSync(join(secret, 'private', 'ca.key'), 'utf8')).toMatch(/ENCRYPTED/);
      expect(importEasyRsa(secret, { passphrase: 'correct horse' }).certificates).toHaveLength(3);
      expect(() => importEasyRsa(secret)).toThrow(/encrypted; supply its passphrase/);
      expect(() => importEasyRsa(secret, { passphrase: 'wrong' })).toThrow(/passphrase is wrong/);
    }, 120_000);

    it('issues with an imported CA whose distinguished name is not ASCII, and OpenSSL verifies the result', async () => {
      const org = join(dir.path, 'org', 'pki');
      await easyrsa(org, ['init-pki']);
      await easyrsa(org, [
        '--dn-mode=org',
        '--req-c=DE',
        '--req-st=Bayern',
        '--req-city=München',
        '--req-org=Ätna GmbH',
        '--req-email=it@example.com',
        '--req-ou=IT',
        '--req-cn=Müller VPN CA',
        'build-ca',
        'nopass',
      ]);
      const { ca } = importEasyRsa(org);
      expect(ca.x509.subject).toContain('O=Ätna GmbH');
      const issued = await issueWithNewKey({ ca, cn: 'dave-U0DAVE.vpn.example.com' });
      writeFileSync(join(dir.path, 'org-dave.crt'), issued.certPem);
      const verify = await run(OPENSSL!, ['verify', '-CAfile', join(org, 'ca.crt'), join(dir.path, 'org-dave.crt')]);
      expect(verify.stdout + verify.stderr).toMatch(/org-dave\.crt: OK/);
    }, 120_000);

    it('names what is missing from a folder that is not a PKI', () => {
      const broken = join(dir.path, 'broken');
      fs.cpSync(pki, broken, { recursive: true });
      rmSync(join(broken, 'index.txt'));
      let error: unknown;
      try {
        importEasyRsa(broken);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(VpnChatopsError);
      expect((error as VpnChatopsError).code).toBe('INVALID_EASYRSA');
      expect((error as VpnChatopsError).message).toMatch(/index.txt not found/);
    });
  },
);
