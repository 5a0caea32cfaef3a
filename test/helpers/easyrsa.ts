import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EASYRSA, run } from './tools';

/** Run the real `easyrsa` against one PKI folder, non-interactively. */
export function easyrsa(pkiDir: string, args: string[], timeoutMs = 120_000) {
  mkdirSync(join(pkiDir, '..'), { recursive: true });
  const env = { ...process.env, EASYRSA: join(EASYRSA!, '..'), EASYRSA_PKI: pkiDir, EASYRSA_BATCH: '1' };
  return run(EASYRSA!, args, { env, cwd: join(pkiDir, '..'), timeoutMs }).then((result) => {
    if (result.code !== 0) throw new Error(`easyrsa ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return result;
  });
}

/** The PKI the issue describes: a CA, three clients, one revoked, a CRL. */
export async function buildSamplePki(pkiDir: string, passphrase?: string): Promise<void> {
  const pass = passphrase ? [`--passin=pass:${passphrase}`, `--passout=pass:${passphrase}`] : [];
  await easyrsa(pkiDir, ['init-pki']);
  await easyrsa(pkiDir, [...pass, '--req-cn=Legacy VPN CA', 'build-ca', ...(passphrase ? [] : ['nopass'])]);
  for (const name of ['alice-U0ALICE.vpn.example.com', 'bob-U0BOB.vpn.example.com', 'carol-U0CAROL.vpn.example.com']) {
    await easyrsa(pkiDir, [...pass, 'build-client-full', name, 'nopass']);
  }
  await easyrsa(pkiDir, [...pass, 'revoke', 'bob-U0BOB.vpn.example.com', 'keyCompromise']);
  await easyrsa(pkiDir, [...pass, 'gen-crl']);
}
