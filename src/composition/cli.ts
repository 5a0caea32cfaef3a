import { SecretsManagerCaStore } from '../adapters/secrets-manager/ca-store';
import { agentStoresFor } from '../adapters/dynamodb/agent-stores';
import { Database, connectDatabase } from '../adapters/dynamodb/client';
import { DynamoDbProbe } from '../adapters/dynamodb/probe';
import { DEFAULT_LOCAL_DYNAMODB, isLocalMode, loadCaFrom } from '../state';
import { VpnAdmin } from '../services/vpn-admin';
import { caStoreFor } from './ca-store';
import { connectionLogsFor, endpointsFor, failureMetricsFor } from './endpoints';
import { diagnose } from './doctor';
import { openDatabase } from './database';
import { storesFor } from '../adapters/dynamodb/stores';
import { createAdmin } from './worker';
import { tlsCryptV2KeysFor } from './tls-crypt-v2-keys';
import { serverKeyFile } from '../adapters/openvpn/tls-crypt-v2-files';
import type { Config } from '../config';
import type { CertificateAuthority } from '../pki/ca';
import type { CaStore, ConnectionLogSource, FailureMetricsSource, ReplaceableFile, TlsCryptV2KeyStore } from '../ports';
import type { Check } from '../services/doctor';

export type Stores = ReturnType<typeof storesFor> & ReturnType<typeof agentStoresFor>;

/** What vpnctl's commands run on, built from configuration; each command opens only what it uses, and closes it. */
export interface CliWiring {
  config: Config;
  /** The CA store: this Secrets Manager secret when given, else CA_SECRET_ID or STATE_DIR. */
  caStore(secret?: string): CaStore;
  loadCa(secret?: string): Promise<CertificateAuthority>;
  withStores<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /**
   * For commands that write outside the table before their first table write (a CA, key files): one
   * GetItem first, so a wrong TABLE_NAME, missing credentials or an unreachable DynamoDB stop them
   * before anything is written. Outside local mode nothing creates the table, and nothing else would tell.
   */
  withCheckedStores<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /** The use cases with CRL alerts on stderr; `stores` are the ones they use. */
  withAdmin<T>(work: (admin: VpnAdmin, stores: Stores) => Promise<T>): Promise<T>;
  /** With a Slack token, the same admin as the bot's worker: reminders, the digest and alerts go to Slack. */
  withDailyAdmin<T>(work: (admin: VpnAdmin) => Promise<T>): Promise<T>;
  connectionLogs(): ConnectionLogSource[];
  /** Each AWS endpoint's AuthenticationFailures: `vpnctl logs` finds the window in them first. */
  failureMetrics(): FailureMetricsSource[];
  /**
   * The stored copies of agent-served endpoints' tls-crypt-v2 server keys, and a server's own key file on this host.
   */
  tlsCryptV2Keys(): TlsCryptV2KeyStore;
  serverKeyFile(file: string): ReplaceableFile;
  /** Every health check; a database that cannot be opened is one of the things to report, not a reason to stop. */
  diagnose(): Promise<Check[]>;
}

export function cliWiring(config: Config): CliWiring {
  /** Open the database (starting DynamoDB Local in local mode), run `work`, always stop what was started. */
  async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
    const { db, local } = await openDatabase(config);
    try {
      return await work(db);
    } finally {
      db.doc.destroy();
      await local?.stop();
    }
  }

  const caStore = (secret?: string): CaStore =>
    secret ? new SecretsManagerCaStore({ secretId: secret, region: config.AWS_REGION }) : caStoreFor(config);

  async function adminFor(stores: Stores): Promise<VpnAdmin> {
    const ca = await loadCaFrom(caStoreFor(config));
    return new VpnAdmin({
      config,
      ca,
      ...stores,
      endpoints: endpointsFor(config, ca, { agent: stores }),
      alerts: { send: async (alert) => void process.stderr.write(`ALERT ${alert.message}\n`) },
    });
  }

  return {
    config,
    caStore,
    loadCa: (secret) => loadCaFrom(caStore(secret)),
    withStores: (work) => withDatabase((db) => work({ ...storesFor(db), ...agentStoresFor(db) })),
    withCheckedStores: (work) =>
      withDatabase(async (db) => {
        await new DynamoDbProbe(db).probe();
        return work({ ...storesFor(db), ...agentStoresFor(db) });
      }),
    withAdmin: (work) =>
      withDatabase(async (db) => {
        const stores = { ...storesFor(db), ...agentStoresFor(db) };
        return work(await adminFor(stores), stores);
      }),
    withDailyAdmin: (work) =>
      withDatabase(async (db) =>
        work(
          config.SLACK_BOT_TOKEN
            ? (await createAdmin(config, db)).admin
            : await adminFor({ ...storesFor(db), ...agentStoresFor(db) }),
        ),
      ),
    // The database is opened only when an agent-served endpoint's shipped log is read.
    connectionLogs: () =>
      connectionLogsFor(config, {
        shippedLog: { read: (...window) => withDatabase((db) => agentStoresFor(db).shippedLog.read(...window)) },
      }),
    failureMetrics: () => failureMetricsFor(config),
    tlsCryptV2Keys: () => tlsCryptV2KeysFor(config),
    serverKeyFile,
    async diagnose() {
      const opened = await openDatabase(config).catch(() => undefined);
      const endpoint = config.DYNAMODB_ENDPOINT ?? (isLocalMode(config) ? DEFAULT_LOCAL_DYNAMODB : undefined);
      const db = opened?.db ?? connectDatabase({ tableName: config.TABLE_NAME, endpoint, region: config.AWS_REGION });
      try {
        return await diagnose(config, db);
      } finally {
        db.doc.destroy();
        await opened?.local?.stop();
      }
    },
  };
}
