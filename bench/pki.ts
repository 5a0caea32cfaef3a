import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCa } from '../src/pki/ca';
import { issueWithNewKey, signCertificateFor } from '../src/pki/certificate';
import { generateRsaKeyPair } from '../src/pki/keys';
import { KeyPool } from '../src/pki/key-pool';
import { buildCrl } from '../src/pki/crl';
import { randomSerial } from '../src/pki/serial';
import { measure, ms, ratio, report } from './lib';

const EASYRSA = ['/usr/share/easy-rsa/easyrsa', '/usr/bin/easyrsa'].find((path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

function easyrsa(pki: string, args: string[]): void {
  execFileSync(EASYRSA!, args, {
    env: { ...process.env, EASYRSA: join(EASYRSA!, '..'), EASYRSA_PKI: pki, EASYRSA_BATCH: '1' },
    stdio: 'ignore',
  });
}

const utc = (date: Date) =>
  date.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');

/** issue and crl-20000, each side by side with Easy-RSA on the same CA in the same run. */
export async function pkiBenchmarks(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'vpn-chatops-bench-'));
  try {
    const pki = join(work, 'pki');
    if (EASYRSA) {
      easyrsa(pki, ['init-pki']);
      easyrsa(pki, ['--req-cn=Bench CA', 'build-ca', 'nopass']);
    } else {
      console.error('easyrsa not found (apt-get install -y easy-rsa): baselines print n/a');
    }
    // Both sides use Easy-RSA's CA when there is one, so the CA is not what differs.
    const ca = EASYRSA
      ? loadCa({
          certPem: readFileSync(join(pki, 'ca.crt'), 'utf8'),
          keyPem: readFileSync(join(pki, 'private', 'ca.key'), 'utf8'),
        })
      : loadCa(await (await import('../src/pki/ca')).createCa({ commonName: 'Bench CA' }));

    let n = 0;
    // As the product issues: keys from a pool generating ahead on both cores (tight loop, so no idle refill time).
    const pool = new KeyPool(2);
    const ours = await measure(
      () => issueWithNewKey({ ca, cn: `user${n++}-U0BENCH.vpn.example.com`, keys: pool.take }),
      60,
      3,
    );
    const unpooled = await measure(() => issueWithNewKey({ ca, cn: `user${n++}-U0BENCH.vpn.example.com` }), 60, 3);
    // The two parts of `ours`: RSA key generation (OpenSSL's, random prime search) and everything we do.
    const keygen = await measure(() => generateRsaKeyPair(), 60, 3);
    const { publicKey } = await generateRsaKeyPair();
    const sign = await measure(
      () => signCertificateFor({ ca, cn: `user${n++}-U0BENCH.vpn.example.com`, publicKey }),
      200,
      10,
    );
    let m = 0;
    const theirs = EASYRSA
      ? await measure(() => easyrsa(pki, ['build-client-full', `client${m++}`, 'nopass']), 10, 1)
      : undefined;
    report('issue', {
      ours_ms: ms(ours.p50),
      easyrsa_ms: theirs ? ms(theirs.p50) : 'n/a',
      ratio: ratio(theirs?.p50, ours.p50),
      ours_p99_ms: ms(ours.p99),
      unpooled_ms: ms(unpooled.p50),
      keygen_ms: ms(keygen.p50),
      sign_ms: ms(sign.p50),
    });

    const now = new Date();
    const revocations = Array.from({ length: 20_000 }, (_, i) => ({
      serial: randomSerial(),
      revokedAt: new Date(now.getTime() - i * 60_000),
      reason: i % 3 === 0 ? ('keyCompromise' as const) : ('superseded' as const),
    }));
    let number = 1n;
    const crlPath = join(work, 'ours-crl.pem');
    const oursCrl = await measure(
      () => writeFileSync(crlPath, buildCrl({ ca, number: number++, revocations }).pem),
      9,
      2,
    );
    let theirsCrl;
    if (EASYRSA) {
      const expiry = utc(new Date(now.getTime() + 365 * 86_400_000));
      const index = revocations
        .map(
          (r, i) =>
            `R\t${expiry}\t${utc(r.revokedAt)},${r.reason}\t${r.serial}\tunknown\t/CN=user${i}-U0BENCH.vpn.example.com\n`,
        )
        .join('');
      writeFileSync(join(pki, 'index.txt'), index);
      theirsCrl = await measure(() => easyrsa(pki, ['gen-crl']), 5, 1);
    }
    report('crl-20000', {
      ours_ms: ms(oursCrl.p50),
      easyrsa_ms: theirsCrl ? ms(theirsCrl.p50) : 'n/a',
      ratio: ratio(theirsCrl?.p50, oursCrl.p50),
      bytes: readFileSync(crlPath).length,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
