import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, unlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerCaStore } from '../adapters/secrets-manager/ca-store';
import { Database, connectDatabase } from '../adapters/dynamodb/client';
import { DynamoDbProbe } from '../adapters/dynamodb/probe';
import { DEFAULT_LOCAL_DYNAMODB, isLocalMode, loadCaFrom } from '../state';
import { VpnAdmin, caStoreFor } from '../composition/core';
import { connectionLogsFor, endpointsFor } from '../composition/endpoints';
import { diagnose } from '../composition/doctor';
import { openDatabase } from '../composition/database';
import { storesFor } from '../adapters/dynamodb/stores';
import { Config, loadConfig } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { REVOKING_REASONS, RevokingReason, parseRevokingReason } from '../domain/revocation';
import { caMaterial, createCa } from '../pki/ca';
import { signCertificateFor } from '../pki/certificate';
import { importEasyRsa } from '../pki/easyrsa';
import type { CaStore } from '../ports';
import { importedRecords } from '../services/import-easyrsa';
import { rollBack } from '../services/issue';
import { auditCsv } from '../services/audit-export';
import { auditTable, certificatesTable, crlStatusTable, dailyReport, doctorReport, publishLine, revocationReport } from './render';
import { createAdmin } from '../composition/worker';
import { connectionInsightsText } from './render-insights';
import { DEFAULT_HOURS } from '../domain/connection-log';
import { connectionInsights } from '../services/connection-insights';
import { attemptsChartPng } from '../render/attempts-chart';

// Node 20 is supported until the SDK drops it; the warning would otherwise precede every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const actor = () => `vpnctl:${userInfo().username}`;
const out = (text: string) => process.stdout.write(`${text}\n`);

/** Open the database (starting DynamoDB Local in local mode), run `work`, always stop what was started. */
async function withDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const { db, local } = await openDatabase(config);
  try {
    return await work(db);
  } finally {
    db.doc.destroy();
    await local?.stop();
  }
}

const withStores = <T>(config: Config, work: (stores: ReturnType<typeof storesFor>) => Promise<T>): Promise<T> => withDatabase(config, (db) => work(storesFor(db)));

/**
 * For commands that write outside the table before their first table write (a CA, key files): one
 * GetItem first, so a wrong TABLE_NAME, missing credentials or an unreachable DynamoDB stop them
 * before anything is written. Outside local mode nothing creates the table, and nothing else would tell.
 */
const withCheckedStores = <T>(config: Config, work: (stores: ReturnType<typeof storesFor>) => Promise<T>): Promise<T> =>
  withDatabase(config, async (db) => {
    await new DynamoDbProbe(db).probe();
    return work(storesFor(db));
  });

async function adminFor(config: Config, stores: ReturnType<typeof storesFor>): Promise<VpnAdmin> {
  const ca = await loadCaFrom(caStoreFor(config));
  return new VpnAdmin({ config, ca, ...stores, endpoints: endpointsFor(config, ca), alerts: { send: async (alert) => void process.stderr.write(`ALERT ${alert.message}\n`) } });
}

async function withAdmin<T>(config: Config, work: (admin: VpnAdmin) => Promise<T>): Promise<T> {
  return withStores(config, async (stores) => work(await adminFor(config, stores)));
}

const caStoreFrom = (config: Config, secret?: string): CaStore =>
  secret ? new SecretsManagerCaStore({ secretId: secret, region: config.AWS_REGION }) : caStoreFor(config);

function readInput(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new VpnChatopsError('STATE', `Cannot read ${flag} ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was changed.`);
  }
}

function readPassphrase(file?: string): string | undefined {
  if (file) return readInput(file, '--passphrase-file').replace(/\r?\n$/, '');
  return process.env.VPNCTL_CA_PASSPHRASE || undefined;
}

const since = (text?: string) => {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new CommanderError(2, 'vpnctl.usage', `"${text}" is not a date; use ISO form, e.g. 2026-11-01 or 2026-11-01T09:00:00Z.`);
  return date;
};

export function buildProgram(config: () => Config): Command {
  const program = new Command('vpnctl')
    .description('Break-glass and migration CLI for vpn-chatops: same configuration and store as the bot.')
    .showHelpAfterError()
    .exitOverride();

  const ca = program.command('ca').description('the certificate authority');
  ca.command('init')
    .description('create a new CA (RSA-2048, 10 years) in the CA store')
    .option('--secret <id>', 'store it in this Secrets Manager secret instead of CA_SECRET_ID / STATE_DIR')
    .option('--name <cn>', 'the CA common name')
    .option('--force', 'replace an existing CA (every certificate it issued stops working)')
    .action(async (options: { secret?: string; name?: string; force?: boolean }) => {
      const cfg = config();
      const store = caStoreFrom(cfg, options.secret);
      const material = await createCa({ commonName: options.name ?? `vpn-chatops CA (${cfg.CERT_DOMAIN})` });
      // The database first: a CA saved without its audit entry would also refuse a second try.
      await withCheckedStores(cfg, async (stores) => {
        await store.save(material, { overwrite: options.force });
        await stores.audit.append({ actor: actor(), action: 'ca.init', target: store.location, outcome: 'success', details: { replaced: Boolean(options.force) } });
      });
      out(`✔ CA created in ${store.location}`);
      out('  For AWS Client VPN, import its certificate into ACM (see docs): the endpoint must trust it for client authentication.');
    });

  ca.command('server-cert')
    .description('write a server certificate for the Client VPN endpoint (and ca.crt), ready for `aws acm import-certificate`')
    .requiredOption('--cn <dns-name>', 'the server name, a DNS name, e.g. server.vpn.example.com (ACM wants a domain)')
    .requiredOption('--out-dir <dir>', 'an existing folder; server.crt, server.key (mode 0600) and ca.crt must not exist in it yet')
    .option('--secret <id>', 'the CA in this Secrets Manager secret instead of CA_SECRET_ID / STATE_DIR')
    .action(async (options: { cn: string; outDir: string; secret?: string }) => {
      const cfg = config();
      if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(options.cn)) {
        throw new VpnChatopsError('INVALID_CONFIG', `--cn "${options.cn}" is not a lower-case DNS name; ACM refuses a server certificate without a domain. Example: --cn server.${cfg.CERT_DOMAIN}`);
      }
      const authority = await loadCaFrom(caStoreFrom(cfg, options.secret));
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      // Client VPN accepts RSA-2048 at most; ten years, capped at the CA's own expiry.
      const issued = signCertificateFor({ ca: authority, cn: options.cn, publicKey, profile: 'server', days: 3650 });
      const files: [string, string, number][] = [
        ['server.key', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600],
        ['server.crt', issued.certPem, 0o644],
        ['ca.crt', authority.certPem, 0o644],
      ];
      const written: string[] = [];
      // Inside the database's scope, so that an unreachable database leaves no key file behind.
      await withCheckedStores(cfg, async (stores) => {
        try {
          for (const [name, text, mode] of files) {
            const path = join(options.outDir, name);
            const file = await open(path, 'wx', mode).catch((error: NodeJS.ErrnoException) => {
              throw new VpnChatopsError('STATE', `Cannot write ${path} (${error.code}): use an existing, empty --out-dir; no file is ever overwritten.`);
            });
            written.push(path);
            await file.writeFile(text);
            await file.close();
          }
          await stores.audit.append({ actor: actor(), action: 'ca.server-cert', target: options.cn, outcome: 'success', details: { serial: issued.serial, notAfter: issued.notAfter.toISOString() } });
        } catch (error) {
          await Promise.all(written.map((path) => unlink(path).catch(() => undefined)));
          throw error;
        }
      });
      out(`✔ server certificate ${options.cn}, serial ${issued.serial}, expires ${issued.notAfter.toISOString().slice(0, 10)}, in ${options.outDir}`);
      out(`  aws acm import-certificate --certificate fileb://${join(options.outDir, 'server.crt')} --private-key fileb://${join(options.outDir, 'server.key')} --certificate-chain fileb://${join(options.outDir, 'ca.crt')}`);
      out('  Then delete server.key: ACM keeps the only copy the endpoint needs.');
    });

  ca.command('import-easyrsa <dir>')
    .description('import an Easy-RSA 3 PKI: its CA, every certificate and revocation (client keys are never read)')
    .option('--secret <id>', 'store the CA in this Secrets Manager secret')
    .option('--passphrase-file <file>', 'file holding the CA key passphrase (or set VPNCTL_CA_PASSPHRASE)')
    .option('--force', 'replace an existing CA in the store')
    .action(async (dir: string, options: { secret?: string; passphraseFile?: string; force?: boolean }) => {
      const cfg = config();
      const store = caStoreFrom(cfg, options.secret);
      // Refuse before writing anything: certificates of a CA we will not keep must not land in the table.
      if (!options.force && (await store.load())) throw new VpnChatopsError('STATE', `A CA already exists in ${store.location}; refusing to replace it (use --force to migrate over it).`);
      const imported = importEasyRsa(dir, { passphrase: readPassphrase(options.passphraseFile) });
      const records = importedRecords(imported, cfg.CERT_DOMAIN, actor());
      await withCheckedStores(cfg, async (stores) => {
        // Certificates first: a failure here leaves no CA behind, so the import can simply be run again.
        const written = await stores.certificates.importMany(records);
        await store.save(caMaterial(imported.ca), { overwrite: options.force });
        await stores.audit.append({
          actor: actor(),
          action: 'ca.import',
          target: store.location,
          outcome: 'success',
          details: { source: dir, certificates: records.length, written, revoked: imported.revocations.length, warnings: imported.warnings },
        });
        out(`✔ CA "${imported.ca.x509.subject}" stored in ${store.location}`);
        out(`✔ ${written} of ${records.length} certificates imported (${imported.revocations.length} revoked)`);
      });
      for (const warning of imported.warnings) out(`⚠ ${warning}`);
      out('Next: `vpnctl crl publish` puts a CRL with every imported revocation on the endpoints.');
    });

  program
    .command('issue')
    .description('issue a certificate and write a ready .ovpn profile (mode 0600)')
    .requiredOption('--user <slackId>', 'Slack member ID, e.g. U012ABCDEF')
    .requiredOption('--name <fullName>', 'display name, used in the CN')
    .option('--device <label>', 'device label, e.g. laptop')
    .option('--csr <file>', 'sign this CSR instead of generating a key')
    .requiredOption('--out <file.ovpn>', 'where to write the profile (must not exist)')
    .action(async (options: { user: string; name: string; device?: string; csr?: string; out: string }) => {
      const cfg = config();
      if (!options.name.trim()) throw new CommanderError(2, 'vpnctl.usage', '--name is empty; give the member\'s full name, e.g. --name "Jane Doe" (it goes into the CN).');
      const csrPem = options.csr === undefined ? undefined : readInput(options.csr, '--csr');
      // Claim the output file first: a profile we could not write would leave a valid certificate nobody holds.
      const file = await open(options.out, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
        throw new VpnChatopsError('STATE', `Cannot write ${options.out} (${error.code}): choose another --out; an existing file is never overwritten.`);
      });
      try {
        const result = await withAdmin(cfg, async (admin) => {
          const issued = await admin.issue({ slackId: options.user, displayName: options.name, device: options.device, csrPem, actor: actor() });
          try {
            await file.writeFile(issued.profile);
          } catch (error) {
            await rollBack(admin.deps.certificates, issued.record, admin.clock, new VpnChatopsError('STATE', `Could not write ${options.out}: ${(error as Error).message}`));
          }
          return issued;
        });
        await file.close();
        out(`✔ issued ${result.record.cn}, serial ${result.record.serial}, expires ${result.record.notAfter.toISOString()}`);
        out(`✔ profile written to ${options.out} (mode 0600${csrPem ? '; it refers to your own key file' : '; it holds the private key: hand it to its owner only'})`);
      } catch (error) {
        await file.close();
        await unlink(options.out);
        throw error;
      }
    });

  program
    .command('revoke')
    .description('end access three ways: database gate, live sessions, CRL')
    .addOption(new Option('--user <slackId>', 'every certificate of this member').conflicts('serial'))
    .addOption(new Option('--serial <hex>', 'one certificate').conflicts('user'))
    .addOption(new Option('--reason <reason>', 'RFC 5280 reason').choices(REVOKING_REASONS).argParser(reasonArgument).default('unspecified'))
    .action(async (options: { user?: string; serial?: string; reason: RevokingReason }) => {
      if (!options.user && !options.serial) throw new CommanderError(2, 'vpnctl.usage', 'revoke needs --user <slackId> or --serial <hex>.');
      const target = options.user ? { slackId: options.user } : { serial: options.serial!.toUpperCase() };
      const report = await withAdmin(config(), (admin) => admin.revoke({ target, reason: options.reason, actor: actor() }));
      out(revocationReport(report));
      if (report.failed.length || report.sessions.some((s) => s.error) || report.crl.some((c) => c.outcome === 'failed')) process.exitCode = 1;
    });

  program
    .command('list')
    .description('list certificates')
    .option('--user <slackId>', 'only this member')
    .addOption(new Option('--status <status>').choices(['active', 'revoked', 'suspended', 'expired']))
    .option('--json', 'machine-readable output')
    .action(async (options: { user?: string; status?: 'active' | 'revoked' | 'suspended' | 'expired'; json?: boolean }) => {
      const now = new Date();
      const records = await withStores(config(), async ({ certificates }) => {
        const all = options.user ? await certificates.byUser(options.user) : await certificates.list(options.status ? { status: options.status } : {});
        return options.user && options.status ? all.filter((r) => (r.notAfter <= now && r.status !== 'revoked' ? 'expired' : r.status) === options.status) : all;
      });
      out(options.json ? JSON.stringify(records.map(({ certPem: _pem, ...r }) => r), null, 2) : certificatesTable(records, now));
    });

  const crl = program.command('crl').description('certificate revocation lists');
  crl.command('publish')
    .description('build a CRL from the database and import it on every endpoint now')
    .action(async () => {
      const outcomes = await withAdmin(config(), (admin) => admin.publishAll(actor()));
      out(outcomes.length ? outcomes.map(publishLine).join('\n') : 'No VPN endpoints configured (VPN_ENDPOINTS).');
      if (outcomes.some((o) => o.outcome === 'failed')) process.exitCode = 1;
    });
  program
    .command('daily')
    .description('the daily job, for cron or a systemd timer outside AWS: retire renewed certificates, renew CRLs, sweep sessions; with SLACK_BOT_TOKEN also expiry reminders and the weekly digest (exit 1 when anything failed)')
    .action(async () => {
      const cfg = config();
      const result = await withDatabase(cfg, async (db) => {
        // With a Slack token, the same admin as the bot's worker: reminders, the digest and alerts go to Slack.
        const admin = cfg.SLACK_BOT_TOKEN ? (await createAdmin(cfg, db)).admin : await adminFor(cfg, storesFor(db));
        return admin.daily(actor());
      });
      out(dailyReport(result, Boolean(cfg.SLACK_BOT_TOKEN)));
      if (result.problems.length || result.renewals.some((renewal) => renewal.action === 'failed') || result.reminders?.failed.length) process.exitCode = 1;
    });

  crl.command('status')
    .description("each endpoint's live CRL: number, nextUpdate, days left, entries, drift")
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const cfg = config();
      const statuses = await withAdmin(cfg, (admin) => admin.crlStatuses());
      out(options.json ? JSON.stringify(statuses, null, 2) : crlStatusTable(statuses));
      if (statuses.some((s) => s.health === 'fail')) process.exitCode = 1;
    });

  program
    .command('audit')
    .description('the audit trail, oldest first (default: the last 30 days)')
    .option('--since <date>', 'ISO date or time')
    .option('--until <date>', 'ISO date or time')
    .option('--actor <id>', 'only this actor')
    .option('--target <id>', 'only this target')
    .option('--csv', 'CSV output')
    .action(async (options: { since?: string; until?: string; actor?: string; target?: string; csv?: boolean }) => {
      const entries = await withStores(config(), ({ audit }) => audit.query({ since: since(options.since), until: since(options.until), actor: options.actor, target: options.target }));
      if (options.csv) process.stdout.write(auditCsv(entries));
      else out(auditTable(entries));
    });

  program
    .command('logs')
    .description('connection attempts per endpoint from its connection log: by status, reason, name, address, client version; floods; who keeps failing')
    .option('--hours <n>', `the last n hours, 1 to 168 (default ${DEFAULT_HOURS})`, wholeHours, DEFAULT_HOURS)
    .option('--endpoint <name>', 'only endpoints whose key contains this, e.g. local or cvpn-endpoint-0123')
    .option('--json', 'machine-readable output')
    .option('--chart <file.png>', 'also write a chart of attempts per hour (first endpoint with attempts)')
    .action(async (options: { hours: number; endpoint?: string; json?: boolean; chart?: string }) => {
      // Reading logs needs neither the CA nor the database.
      const sources = connectionLogsFor(config()).filter((source) => options.endpoint === undefined || source.endpoint.includes(options.endpoint));
      const report = await connectionInsights(sources, options.hours, new Date());
      out(options.json ? JSON.stringify(report, null, 2) : connectionInsightsText(report));
      const charted = report.endpoints.find((insights) => insights.summary && insights.summary.attempts > 0)?.summary;
      if (options.chart && charted) {
        await writeFile(options.chart, attemptsChartPng(charted.hourly), { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
          throw new VpnChatopsError('STATE', `Cannot write ${options.chart} (${error.code}): choose another --chart; an existing file is never overwritten.`);
        });
        out(`✔ chart of ${charted.endpoint} written to ${options.chart}`);
      }
      if (report.endpoints.some((insights) => insights.error)) process.exitCode = 1;
    });

  program
    .command('doctor')
    .description('check everything that can lock people out, one line each with the fix (exit 1 when any check fails)')
    .action(async () => {
      const cfg = config();
      // A database that cannot be opened is one of the things to report, not a reason to stop.
      const opened = await openDatabase(cfg).catch(() => undefined);
      const endpoint = cfg.DYNAMODB_ENDPOINT ?? (isLocalMode(cfg) ? DEFAULT_LOCAL_DYNAMODB : undefined);
      const db = opened?.db ?? connectDatabase({ tableName: cfg.TABLE_NAME, endpoint, region: cfg.AWS_REGION });
      try {
        const checks = await diagnose(cfg, db);
        out(doctorReport(checks));
        if (checks.some((check) => check.status === 'fail')) process.exitCode = 1;
      } finally {
        db.doc.destroy();
        await opened?.local?.stop();
      }
    });

  return program;
}

/** The listed choices, in any letter case; removeFromCRL is refused with why (a usage error, exit 2). */
function reasonArgument(text: string): RevokingReason {
  try {
    return parseRevokingReason(text);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof VpnChatopsError ? error.message : String(error));
  }
}

function wholeHours(text: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1) throw new CommanderError(2, 'vpnctl.usage', `--hours "${text}" is not a whole number of hours from 1 to 168.`);
  return Number(text);
}

/** Exit codes: 0 success, 1 refused or failed (message on stderr), 2 usage. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(() => loadConfig());
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      if (error.code === 'vpnctl.usage') process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`✖ ${error instanceof VpnChatopsError ? error.message : `Unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`}\n`);
    return 1;
  }
}
