import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VpnAdmin, caStoreFor, endpointsFor, loadCaFrom, openDatabase, stateDir, storesFor } from '../composition';
import { loadConfig } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { createCa } from '../pki/ca';
import { crlStatusTable } from '../cli/render';
import { runBot } from './bot';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const step = (text: string) => console.log(`  ✔ ${text}`);
const DEMO = { slackId: 'U0DEMO0001', displayName: 'Ada Lovelace' };

/**
 * What `npm start` runs until the Slack bot and the local console land: the certificate lifecycle
 * on the embedded defaults. DynamoDB Local and the CA live under STATE_DIR; the local OpenVPN
 * endpoint's CRL file is kept current. A second run reuses everything.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  console.log(`vpn-chatops · local run · state in ${stateDir(config)}\n`);
  if (config.SLACK_BOT_TOKEN && (config.SLACK_APP_TOKEN || config.SLACK_SIGNING_SECRET)) return runBot(config);

  const store = caStoreFor(config);
  if (!(await store.load())) {
    console.log('  … creating a development CA (RSA-2048, 10 years)');
    await store.save(await createCa({ commonName: `vpn-chatops local CA (${config.CERT_DOMAIN})` }));
  }
  const ca = await loadCaFrom(store);
  step(`CA ${ca.x509.subject}, valid until ${ca.notAfter.toISOString().slice(0, 10)}, in ${store.location}`);

  console.log('  … starting DynamoDB Local (Java)');
  const { db, local } = await openDatabase(config);
  try {
    step(`DynamoDB: table ${config.TABLE_NAME} at ${local?.endpoint ?? config.DYNAMODB_ENDPOINT ?? 'AWS'}`);
    const admin = new VpnAdmin({ config, ca, ...storesFor(db), endpoints: endpointsFor(config, ca), alerts: { send: async (a) => console.log(`  ⚠ ${a.message}`) } });
    const actor = 'local:npm-start';

    const laptop = (await admin.deps.certificates.byUser(DEMO.slackId)).find((c) => c.device === 'laptop' && c.status === 'active');
    if (laptop) {
      step(`${DEMO.displayName} already has ${laptop.cn} (serial ${laptop.serial})`);
    } else {
      const issued = await admin.issue({ ...DEMO, device: 'laptop', actor });
      const dir = join(stateDir(config), 'profiles');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, `${issued.record.cn}.ovpn`);
      await writeFile(path, issued.profile, { mode: 0o600 });
      step(`issued ${issued.record.cn}; profile in ${path} (mode 0600: it holds the private key)`);
    }

    const phone = await admin.issue({ ...DEMO, device: `phone-${Date.now().toString(36)}`, actor });
    step(`issued ${phone.record.cn}`);
    const report = await admin.revoke({ target: { serial: phone.record.serial }, reason: 'keyCompromise', actor });
    step(`revoked it (lost phone): database gate closed${report.crl[0]?.outcome === 'published' ? `, CRL #${report.crl[0].crlNumber} published` : ''}`);
    for (const sessions of report.sessions.filter((s) => s.error)) console.log(`  ⚠ live sessions on ${sessions.endpoint} not checked: ${sessions.error}`);

    const statuses = await admin.crlStatuses();
    console.log(`\nCRL health:\n${crlStatusTable(statuses)}`);
    console.log(`
Try the break-glass CLI on the same state:  npx vpnctl list   ·   npx vpnctl crl status   ·   npx vpnctl audit
The Slack bot, the local OpenVPN server and the browser console come next (see README).`);
  } finally {
    db.doc.destroy();
    await local?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof VpnChatopsError ? `✖ ${error.message}` : error);
  process.exitCode = 1;
});
