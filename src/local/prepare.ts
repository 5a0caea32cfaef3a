import { Database, connectDatabase, databaseAnswers, ensureTable } from '../adapters/dynamodb/client';
import { startDynamoDbLocal } from '../adapters/dynamodb/local-server';
import { LocalCaStore } from '../adapters/local-files/ca-store';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { logError } from '../log';
import { CertificateAuthority, loadCa } from '../pki/ca';
import type { CaStore } from '../ports';
import { createCaIn } from '../services/ca-setup';
import { DEFAULT_LOCAL_DYNAMODB, isLocalMode, loadCaFrom, stateDir } from '../state';
import { join } from 'node:path';
import { StateLock } from './lock';
import { assertTcpPortFree, prepareStateDir } from './preflight';
import type { Progress } from './progress';

/**
 * The first half of `npm start`, kept free of the AWS SDK clients and Bolt so it runs before they
 * load: the state dir and its lock, the port check, the CA, and DynamoDB Local's JVM, whose start-up
 * (the slowest part) then overlaps loading the rest.
 */

/** How the bot meets Slack: the local console's server, a real workspace by Socket Mode, or HTTP behind a tunnel. */
export type BotMode = 'console' | 'socket' | 'http';

export function botModeFor(config: Config): BotMode | undefined {
  if (!config.SLACK_BOT_TOKEN) return undefined;
  if (config.SLACK_APP_TOKEN) return 'socket';
  return config.SLACK_SIGNING_SECRET ? 'http' : undefined;
}

/**
 * The console plays Slack with made-up people, one of them an admin when ADMIN_SLACK_IDS is empty:
 * pointed at a real CA (CA_SECRET_ID), real tables (AWS_REGION) or real endpoints (VPN_ENDPOINTS),
 * anyone at the keyboard could mint real certificates or revoke real ones. So it runs only on the local stack.
 */
export function assertConsoleIsLocal(config: Config): void {
  const real = [
    config.AWS_REGION && 'AWS_REGION',
    config.CA_SECRET_ID && 'CA_SECRET_ID',
    config.VPN_ENDPOINTS.length > 0 && 'VPN_ENDPOINTS',
  ].filter(Boolean);
  if (isLocalMode(config) && real.length === 0) return;
  throw new VpnChatopsError(
    'INVALID_CONFIG',
    `The local console runs only on the local stack, but ${real.join(', ')} ${real.length === 1 ? 'is' : 'are'} set, so its made-up users would act on real certificates. ` +
      'To run against your real Slack workspace, set SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP); to use the local console, unset AWS_REGION, CA_SECRET_ID and VPN_ENDPOINTS.',
  );
}

/** Parts started so far, stopped in reverse order whether start-up finished or not. */
export class Started {
  private readonly parts: { what: string; stop: () => Promise<void> | void }[] = [];
  private stopping: Promise<void> | undefined;

  add(what: string, stop: () => Promise<void> | void): void {
    this.parts.push({ what, stop });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const part of this.parts.reverse()) {
        try {
          await part.stop();
        } catch (error) {
          logError(`stopping ${part.what} failed`, error);
        }
      }
    })();
    return this.stopping;
  }
}

export interface Prepared {
  started: Started;
  lock: StateLock;
  mode: BotMode;
  /** Undefined when the CA is in Secrets Manager (CA_SECRET_ID): the stack loads it with the AWS SDK. */
  ca?: CertificateAuthority;
  database: Promise<Database>;
}

/** Everything before the app itself; on failure, whatever was started is stopped again. */
export async function prepareStack(config: Config, progress: Progress, started: Started): Promise<Prepared> {
  const mode = botModeFor(config) ?? 'console';
  if (mode === 'console') assertConsoleIsLocal(config);
  const dir = stateDir(config);
  prepareStateDir(dir);
  const lock = await StateLock.acquire(dir);
  started.add('the state dir lock', () => lock.release());
  lock.notes.forEach((note) => progress.warn(note));

  if (mode === 'console' && config.SLACK_BOT_TOKEN) {
    progress.warn(
      'SLACK_BOT_TOKEN is set without SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP): running the local console instead',
    );
  }
  if (mode !== 'socket') await assertTcpPortFree(config.PORT, 'PORT', mode === 'console' ? 'the console' : 'the bot');
  const ca = config.CA_SECRET_ID ? undefined : await loadOrCreateCa(new LocalCaStore(dir), config, progress);
  const { ready } = await beginDatabase(config, lock, started, progress);
  return { started, lock, mode, ca, database: ready };
}

/** The development CA under STATE_DIR, created on first run; a damaged one is reported with what to do. */
export async function loadOrCreateCa(
  store: CaStore,
  config: Config,
  progress: Progress,
): Promise<CertificateAuthority> {
  const fix = `fix or restore it, or move ${store.location} away to create a new development CA (certificates issued by the old one then stop working)`;
  let material;
  try {
    material = await store.load();
  } catch (error) {
    if (error instanceof VpnChatopsError) throw error;
    throw new VpnChatopsError(
      'STATE',
      `The CA in ${store.location} cannot be read (${(error as Error).message}): ${fix}.`,
    );
  }
  if (!material) {
    const created = await progress.task(
      'creating a development CA (RSA-2048, 10 years)',
      () => createCaIn(store, `vpn-chatops local CA (${config.CERT_DOMAIN})`),
      () => `created a development CA in ${store.location} (key mode 0600)`,
    );
    return loadCa(created);
  }
  let ca: CertificateAuthority;
  try {
    ca = await loadCaFrom(store);
  } catch (error) {
    throw new VpnChatopsError('STATE', `${(error as Error).message.replace(/\.?$/, '')}; ${fix}.`);
  }
  progress.step(
    `CA ${ca.x509.subject.replace(/\n/g, ', ')}, valid until ${ca.notAfter.toISOString().slice(0, 10)} (${store.location})`,
  );
  return ca;
}

/**
 * DYNAMODB_ENDPOINT when something answers there; otherwise DynamoDB Local on it, with its data under
 * STATE_DIR. Resolves as soon as the JVM is launched: `ready` is the database once it answers, so the
 * caller can load the rest of the app meanwhile.
 */
export async function beginDatabase(
  config: Config,
  lock: StateLock,
  started: Started,
  progress: Progress,
): Promise<{ ready: Promise<Database> }> {
  const endpoint = config.DYNAMODB_ENDPOINT ?? (isLocalMode(config) ? DEFAULT_LOCAL_DYNAMODB : undefined);
  const db = connectDatabase({ tableName: config.TABLE_NAME, endpoint, region: config.AWS_REGION });
  started.add('the database client', () => db.doc.destroy());
  if (!endpoint) {
    progress.step(`DynamoDB: ${db.where} in ${config.AWS_REGION ?? 'the default AWS region'}`);
    return { ready: Promise.resolve(db) };
  }
  if (await databaseAnswers(db)) {
    progress.step(`DynamoDB at ${endpoint} (already running, so not started here)`);
    return { ready: ensureTable(db).then(() => db) };
  }
  const url = new URL(endpoint);
  if (!['127.0.0.1', 'localhost'].includes(url.hostname)) {
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `Nothing answers at DYNAMODB_ENDPOINT=${endpoint}; start DynamoDB there, or unset DYNAMODB_ENDPOINT to use the embedded DynamoDB Local.`,
    );
  }
  const port = Number(url.port || 80);
  await assertTcpPortFree(port, 'DYNAMODB_ENDPOINT', 'DynamoDB Local');
  const dataDir = join(stateDir(config), 'dynamodb');
  // The JVM is spawned synchronously inside this call; its start-up overlaps whatever the caller does next.
  const starting = progress.task(
    'starting DynamoDB Local (Java)',
    () =>
      startDynamoDbLocal({
        dataDir,
        port,
        detached: true,
        quickStart: true,
        onSpawn: (pid) => lock.addChild({ pid, what: 'DynamoDB Local', marker: dataDir }),
      }),
    (running) => `DynamoDB Local at ${running.endpoint}, data in ${dataDir}`,
  );
  started.add('DynamoDB Local', async () => {
    const local = await starting.catch(() => undefined);
    await local?.stop();
    if (local?.process.pid !== undefined) lock.removeChild(local.process.pid);
  });
  const ready = starting.then(async (local) => {
    const running = connectDatabase({ tableName: config.TABLE_NAME, endpoint: local.endpoint });
    started.add('the database client', () => running.doc.destroy());
    await ensureTable(running);
    return running;
  });
  // Awaited by the caller later; until then a failure must not count as unhandled.
  ready.catch(() => undefined);
  return { ready };
}
