import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { encodeCn } from '../domain/cn';
import { LocalCaStore } from '../adapters/local-files/ca-store';
import { openvpnClientBase } from '../adapters/openvpn/client-base';
import { createCa, loadCa } from '../pki/ca';
import { issueWithNewKey } from '../pki/certificate';
import { buildCrl, parseCrl } from '../pki/crl';
import { assembleProfile } from '../pki/profile';
import { Revocation } from '../domain/revocation';

/**
 * What `npm start` does until the local stack lands: run the certificate lifecycle on the embedded
 * defaults (a local CA under STATE_DIR), issue a demo member's profile, revoke a second device and
 * publish the CRL that a local OpenVPN server would read with `crl-verify`.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const stateDir = resolve(config.STATE_DIR);
  const step = (text: string) => console.log(`  ✔ ${text}`);
  console.log(`vpn-chatops · local run · state in ${stateDir}\n`);

  const store = new LocalCaStore(stateDir);
  let material = await store.load();
  const created = !material;
  if (!material) {
    console.log('  … creating a development CA (RSA-2048, 10 years)');
    material = await createCa({ commonName: `vpn-chatops local CA (${config.CERT_DOMAIN})` });
    await store.save(material);
  }
  const ca = (() => {
    try {
      return loadCa(material);
    } catch (error) {
      if (!(error instanceof VpnChatopsError)) throw error;
      throw new VpnChatopsError(error.code, `${store.location} is unusable: ${error.message} Restore it from a backup, or move it away to start a new CA.`);
    }
  })();
  step(created ? `CA created in ${store.location} (ca.key is mode 0600)` : `CA loaded from ${store.location}`);
  console.log(`      ${ca.x509.subject.replace(/\n/g, ', ')}, valid until ${ca.notAfter.toISOString().slice(0, 10)}`);

  const member = { displayName: 'Ada Lovelace', slackId: 'U0DEMO0001', domain: config.CERT_DOMAIN };
  const laptop = await issueWithNewKey({ ca, cn: encodeCn({ ...member, device: 'laptop' }), days: config.CERT_DAYS });
  const phone = await issueWithNewKey({ ca, cn: encodeCn({ ...member, device: 'phone' }), days: config.CERT_DAYS });
  step(`issued ${laptop.cn} (serial ${laptop.serial}, expires ${laptop.notAfter.toISOString().slice(0, 10)})`);
  step(`issued ${phone.cn} (serial ${phone.serial})`);

  const remote = config.VPN_ENDPOINTS.find((e) => e.type === 'openvpn')?.remote ?? '127.0.0.1 1194 udp';
  const profileDir = join(stateDir, 'profiles');
  await mkdir(profileDir, { recursive: true, mode: 0o700 });
  const profilePath = join(profileDir, `${laptop.cn}.ovpn`);
  const profile = assembleProfile({ base: openvpnClientBase({ remote, caPem: ca.certPem }), certPem: laptop.certPem, keyPem: laptop.keyPem });
  await writeFile(profilePath, profile, { mode: 0o600 });
  step(`profile written to ${profilePath} (mode 0600; it holds the private key)`);

  const crlPath = join(stateDir, 'crl.pem');
  const previous = await readFile(crlPath, 'utf8').then((pem) => parseCrl(pem, ca), () => undefined);
  const carried: Revocation[] = previous?.signedBy?.signatureValid ? previous.revocations : [];
  const crl = buildCrl({
    ca,
    number: (previous?.number ?? 0n) + 1n,
    revocations: [...carried, { serial: phone.serial, revokedAt: new Date(), reason: 'keyCompromise' }],
    days: config.CRL_DAYS,
  });
  await writeFile(crlPath, crl.pem);
  step(`revoked ${phone.cn}; CRL #${crl.number} with ${crl.entries} entr${crl.entries === 1 ? 'y' : 'ies'} written to ${crlPath}`);
  console.log(`      next update ${crl.nextUpdate.toISOString()} (CRL_DAYS=${config.CRL_DAYS})`);

  console.log(`
Check it with OpenSSL:
  openssl crl -in ${crlPath} -noout -text
The Slack bot, DynamoDB Local, the local OpenVPN endpoint and the browser console come next (see README).`);
}

main().catch((error: unknown) => {
  if (error instanceof VpnChatopsError) {
    console.error(`✖ ${error.message}`);
  } else {
    console.error('✖ Unexpected failure:', error);
  }
  process.exitCode = 1;
});
