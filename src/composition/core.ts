import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Database, connectDatabase, databaseAnswers, ensureTable } from '../adapters/dynamodb/client';
import { DEFAULT_LOCAL_DYNAMODB, isLocalMode, loadCaFrom, stateDir } from '../state';
import { LocalDynamoDb, startDynamoDbLocal } from '../adapters/dynamodb/local-server';
import { AwsClientVpnEndpoint } from '../adapters/aws-client-vpn/endpoint';
import { LocalCaStore } from '../adapters/local-files/ca-store';
import { OpenVpnEndpoint } from '../adapters/openvpn/endpoint';
import type { ManagementClient } from '../adapters/openvpn/management';
import { OpenVpnConnectionLog } from '../adapters/openvpn/connection-log';
import { CloudWatchConnectionLog } from '../adapters/cloudwatch-logs/connection-log';
import { SecretsManagerCaStore } from '../adapters/secrets-manager/ca-store';
import type { Config, EndpointConfig } from '../config';
import type { Approval } from '../domain/approval';
import { VpnChatopsError, messageOf } from '../domain/errors';
import { parseWindow } from '../domain/window';
import type { CertificateAuthority } from '../pki/ca';
import { KeyPool } from '../pki/key-pool';
import { generateTlsCryptKey } from '../pki/tls-crypt';
import { AlertSink, ApprovalStore, AuditLog, CaStore, CertificateStore, Clock, ConnectionLogSource, CrlStateStore, DatabaseProbe, IdempotencyStore, SlackProbe, TimeReference, VpnEndpoint, systemClock } from '../ports';
import { InsightsReport, connectionInsights } from '../services/connection-insights';
import { DynamoDbProbe } from '../adapters/dynamodb/probe';
import { storesFor } from '../adapters/dynamodb/stores';
import { SlackWebProbe } from '../adapters/slack-web/probe';
import { BOT_SCOPES } from '../adapters/slack-web/scopes';
import { Check, DoctorDeps, DoctorPolicy, runDoctor } from '../services/doctor';
import { IssueRequest, issueCertificate } from '../services/issue';
import { CrlPublisher, PublishOutcome } from '../services/publish-crl';
import { renewCrls } from '../services/crl-renewal';
import { CrlStatus, crlStatus } from '../services/crl-status';
import { CrlPolicy, RevokeRequest, revoke } from '../services/revoke';
import { DIGEST_DAYS, ExpiryNotifier, ReminderResult, sendExpiryReminders, sendWeeklyDigest } from '../services/reminders';
import { RetireReason, overdueReplacements, renewCertificate, retireReplaced } from '../services/certificate-renewal';
import { sweepSessions } from '../services/sessions';
import { AbandonedApprovalScope, closeAbandonedApprovals } from '../services/abandoned-approvals';
import { DAY_MS } from '../domain/time';

export { DEFAULT_LOCAL_DYNAMODB, isLocalMode, loadCaFrom, stateDir } from '../state';
export { databaseAnswers } from '../adapters/dynamodb/client';

export function caStoreFor(config: Config): CaStore {
  return config.CA_SECRET_ID ? new SecretsManagerCaStore({ secretId: config.CA_SECRET_ID, region: config.AWS_REGION }) : new LocalCaStore(stateDir(config));
}

/** The OpenVPN endpoint `npm start` runs when no endpoint is configured. */
export function localEndpointConfig(config: Config): Extract<EndpointConfig, { type: 'openvpn' }> {
  const dir = join(stateDir(config), 'openvpn');
  return {
    type: 'openvpn',
    name: 'local',
    management: `127.0.0.1:${config.LOCAL_VPN_MANAGEMENT_PORT}`,
    crlFile: join(dir, 'crl.pem'),
    remote: `127.0.0.1 ${config.LOCAL_VPN_PORT} udp`,
    tlsCryptKeyFile: join(dir, 'tls-crypt.key'),
    logFile: join(dir, 'openvpn.log'),
    // Without it any local user could approve logins through the management port (the server creates it).
    managementPasswordFile: join(dir, 'management.pw'),
    // Written by npm start (local/openvpn-server.ts), so doctor sees when it runs out.
    serverCertFile: join(dir, 'server.crt'),
  };
}

/** The local endpoint's own secret: created once, mode 0600, kept with the rest of the local state. */
function ensureLocalTlsCryptKey(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, generateTlsCryptKey(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export interface EndpointWiring {
  /**
   * Management connections held open by a login-approval bridge, by OpenVPN endpoint name. OpenVPN
   * serves one management client at a time, so the endpoint must send its commands (session kills,
   * status) through the bridge's connection instead of opening a second one that would never be served.
   */
  management?: ReadonlyMap<string, ManagementClient>;
}

/** The local endpoint is npm start's own OpenVPN server: VPN_ENDPOINTS has nothing to do with it. */
const localServerDown = (logFile: string) =>
  `npm start restarts it by itself (why it stopped: ${logFile}). If npm start is not running, start it; if the server keeps failing, stop npm start, fix what the log says, start it again.`;

/** The configured endpoints, or in local mode the local one. */
function configuredEndpoints(config: Config): EndpointConfig[] {
  if (config.VPN_ENDPOINTS.length > 0) return config.VPN_ENDPOINTS;
  return isLocalMode(config) ? [localEndpointConfig(config)] : [];
}

export function endpointsFor(config: Config, ca: CertificateAuthority, wiring: EndpointWiring = {}): VpnEndpoint[] {
  const configured = configuredEndpoints(config);
  const local = config.VPN_ENDPOINTS.length === 0 && configured.length > 0;
  if (local) ensureLocalTlsCryptKey(localEndpointConfig(config).tlsCryptKeyFile!);
  return configured.map((endpoint) =>
    endpoint.type === 'aws-client-vpn'
      ? new AwsClientVpnEndpoint({ id: endpoint.id, region: endpoint.region })
      : new OpenVpnEndpoint({ ...endpoint, caPem: ca.certPem, shared: () => wiring.management?.get(endpoint.name), whenDown: local ? localServerDown(localEndpointConfig(config).logFile!) : undefined, runsBeside: local && wiring.management !== undefined }),
  );
}

/** Each endpoint's connection log; one without a log configured says how to configure it when read. */
export function connectionLogsFor(config: Config): ConnectionLogSource[] {
  return configuredEndpoints(config).map((endpoint): ConnectionLogSource => {
    if (endpoint.type === 'aws-client-vpn') {
      return endpoint.logGroup
        ? new CloudWatchConnectionLog({ endpointId: endpoint.id, region: endpoint.region, logGroup: endpoint.logGroup, logStream: endpoint.logStream })
        : unconfiguredLog(`aws-client-vpn:${endpoint.id}`, 'add "logGroup" (the CloudWatch Logs group its connection logging writes to) to this endpoint in VPN_ENDPOINTS');
    }
    return endpoint.logFile
      ? new OpenVpnConnectionLog({ name: endpoint.name, logFile: endpoint.logFile })
      : unconfiguredLog(`openvpn:${endpoint.name}`, 'add "logFile" (the file the server writes with --log-append) to this endpoint in VPN_ENDPOINTS');
  });
}

const unconfiguredLog = (endpoint: string, fix: string): ConnectionLogSource => ({
  endpoint,
  read: () => Promise.reject(new VpnChatopsError('INVALID_CONFIG', `${endpoint}: no connection log is configured: ${fix}.`)),
});

/**
 * The database: DYNAMODB_ENDPOINT or AWS. In local mode, when nothing answers on the (loopback)
 * endpoint, start DynamoDB Local on it with its data under STATE_DIR, and stop it on close.
 */
export async function openDatabase(config: Config, options: { startLocal?: boolean } = {}): Promise<{ db: Database; local?: LocalDynamoDb }> {
  const endpoint = config.DYNAMODB_ENDPOINT ?? (isLocalMode(config) ? DEFAULT_LOCAL_DYNAMODB : undefined);
  let db = connectDatabase({ tableName: config.TABLE_NAME, endpoint, region: config.AWS_REGION });
  let local: LocalDynamoDb | undefined;
  if (endpoint && options.startLocal !== false && !(await databaseAnswers(db))) {
    const url = new URL(endpoint);
    if (!['127.0.0.1', 'localhost'].includes(url.hostname)) {
      throw new VpnChatopsError('STORE_UNAVAILABLE', `Nothing answers at DYNAMODB_ENDPOINT=${endpoint}; start DynamoDB there or unset it to use the embedded one.`);
    }
    db.doc.destroy();
    local = await startDynamoDbLocal({ dataDir: join(stateDir(config), 'dynamodb'), port: Number(url.port || 8000) });
    db = connectDatabase({ tableName: config.TABLE_NAME, endpoint: local.endpoint });
  }
  try {
    if (endpoint) await ensureTable(db);
  } catch (error) {
    db.doc.destroy();
    await local?.stop();
    throw error;
  }
  return { db, local };
}

/** What `doctor` probes beyond the stores and endpoints: the database itself, Slack, a remote clock. */
export interface DoctorProbes {
  database: DatabaseProbe;
  slack?: SlackProbe;
  time?: TimeReference;
}

export function doctorProbes(config: Config, db: Database): DoctorProbes {
  const slack = config.SLACK_BOT_TOKEN ? new SlackWebProbe({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL }) : undefined;
  return { database: new DynamoDbProbe(db), slack, time: slack };
}

/** The daily job leaves an undecided login alone this long after its deadline: its handler may still be closing it. */
const ABANDONED_AFTER_MS = 60_000;

const doctorPolicy = (config: Config): DoctorPolicy => ({ renewBeforeDays: config.CRL_RENEW_BEFORE_DAYS, publishMode: config.CRL_PUBLISH_MODE, certDays: config.CERT_DAYS });

/**
 * `doctor` straight from configuration, for vpnctl: it runs without a usable CA too (and says so),
 * because that is when it is needed most.
 */
export async function diagnose(config: Config, db: Database, clock: Clock = systemClock): Promise<Check[]> {
  const base: Omit<DoctorDeps, 'ca' | 'caError' | 'endpoints'> = { crlState: storesFor(db).crlState, clock, policy: doctorPolicy(config), requiredScopes: BOT_SCOPES, ...doctorProbes(config, db) };
  let ca: CertificateAuthority;
  try {
    ca = await loadCaFrom(caStoreFor(config));
  } catch (error) {
    if (!(error instanceof VpnChatopsError)) throw error;
    return runDoctor({ ...base, caError: error, endpoints: [] });
  }
  return runDoctor({ ...base, ca, endpoints: endpointsFor(config, ca) });
}

export interface AppDeps {
  config: Config;
  ca: CertificateAuthority;
  certificates: CertificateStore;
  crlState: CrlStateStore;
  audit: AuditLog;
  /** Login approvals, for the App Home's recent logins; absent where approvals are not used. */
  approvals?: ApprovalStore;
  endpoints: VpnEndpoint[];
  /** Each endpoint's connection log, for connection insights; absent where they are not read. */
  connectionLogs?: ConnectionLogSource[];
  alerts: AlertSink;
  /** Expiry reminders, the admins' digest and renewal notices; the daily job skips them without it. */
  expiry?: ExpiryNotifier;
  /** "Sent once" claims for reminders and the digest. */
  idempotency?: IdempotencyStore;
  clock?: Clock;
  /** Tests set 0; in production revocations arriving within this window share one CRL import. */
  coalesceMs?: number;
}

/** The use cases, wired once. The CLI, `npm start`, the Slack bot and the Lambda handlers all go through this. */
export class VpnAdmin {
  readonly publisher: CrlPublisher;
  readonly clock: Clock;
  private readonly keys = new KeyPool(2);
  private readonly policy: CrlPolicy;

  constructor(readonly deps: AppDeps) {
    this.clock = deps.clock ?? systemClock;
    this.policy = { mode: deps.config.CRL_PUBLISH_MODE, window: parseWindow(deps.config.CRL_WINDOW) };
    this.publisher = new CrlPublisher({ ...deps, clock: this.clock, crlDays: deps.config.CRL_DAYS, coalesceMs: deps.coalesceMs ?? 1500 });
  }

  /** The endpoint profiles are built from: the first one configured. */
  get profileEndpoint(): VpnEndpoint {
    const endpoint = this.deps.endpoints[0];
    if (!endpoint) throw new VpnChatopsError('INVALID_CONFIG', 'No VPN endpoint is configured: set VPN_ENDPOINTS (see .env.example).');
    return endpoint;
  }

  issue(request: IssueRequest) {
    const { ca, certificates, audit, config } = this.deps;
    return issueCertificate({ ca, certificates, audit, clock: this.clock, endpoint: this.profileEndpoint, keys: this.keys.take, certDomain: config.CERT_DOMAIN, certDays: config.CERT_DAYS }, request);
  }

  revoke(request: RevokeRequest) {
    return revoke({ ...this.deps, clock: this.clock, publisher: this.publisher, policy: this.policy }, request);
  }

  /** A new certificate for the same device that retires the old one once it is used (services/certificate-renewal.ts). */
  renew(request: { serial: string; userId: string; displayName: string }) {
    return renewCertificate({ ...this.deps, clock: this.clock, issue: (issue) => this.issue(issue) }, request);
  }

  /** Retire what `replacementSerial` replaces, and tell its owner; the owner's DM is a courtesy that may fail. */
  async retireReplaced(replacementSerial: string, why: RetireReason) {
    const retired = await retireReplaced({ certificates: this.deps.certificates, revoke: (request) => this.revoke(request) }, replacementSerial, why);
    if (retired) await this.deps.expiry?.retired(retired.old, retired.replacement, why).catch(() => undefined);
    return retired;
  }

  publishAll(actor: string): Promise<PublishOutcome[]> {
    return Promise.all(this.deps.endpoints.map((endpoint) => this.publisher.publish(endpoint, actor)));
  }

  /** Each endpoint's live CRL, read back and compared with our records. */
  crlStatuses(): Promise<CrlStatus[]> {
    const { CRL_RENEW_BEFORE_DAYS: renewBeforeDays, CRL_PUBLISH_MODE: publishMode } = this.deps.config;
    return Promise.all(this.deps.endpoints.map((endpoint) => crlStatus({ ...this.deps, clock: this.clock, renewBeforeDays, publishMode }, endpoint)));
  }

  /** Connection attempts over the last `hours` (capped), per endpoint. */
  connectionInsights(hours: number): Promise<InsightsReport> {
    return connectionInsights(this.deps.connectionLogs ?? [], hours, this.clock.now());
  }

  /** Every health check, one line each; see services/doctor.ts. */
  doctor(probes: DoctorProbes): Promise<Check[]> {
    const { ca, crlState, endpoints, config } = this.deps;
    return runDoctor({ ca, crlState, endpoints, clock: this.clock, policy: doctorPolicy(config), requiredScopes: BOT_SCOPES, ...probes });
  }

  /**
   * The daily job: retire renewed certificates whose grace period is over (first, so their CRL entries
   * go out with this run's renewal), renew CRLs, sweep sessions that should not exist, then remind
   * owners of expiring certificates and, once a week, send admins the digest. The CRL work never
   * waits on, or fails because of, the reminders.
   */
  async daily(actor = 'system:daily') {
    const { certificates, expiry, idempotency } = this.deps;
    const window = () => {
      const now = this.clock.now();
      return certificates.expiring(now, new Date(now.getTime() + DIGEST_DAYS * DAY_MS));
    };
    const problems: string[] = [];
    const note =
      (what: string) =>
      (error: unknown): undefined => {
        problems.push(`${what}: ${messageOf(error)}`);
        return undefined;
      };
    const retired: string[] = [];
    for (const old of overdueReplacements((await window().catch(note('reading replaced certificates'))) ?? [], this.clock.now())) {
      const done = await this.retireReplaced(old.replacedBy!, 'grace-period').catch(note(`retiring ${old.serial}`));
      if (done) retired.push(done.old.serial);
    }
    const renewals = await renewCrls(
      { ...this.deps, clock: this.clock, publisher: this.publisher, policy: this.policy, renewBeforeDays: this.deps.config.CRL_RENEW_BEFORE_DAYS },
      this.deps.endpoints,
    );
    const sessions = await Promise.all(this.deps.endpoints.map((endpoint) => sweepSessions(endpoint, { ...this.deps, clock: this.clock, actor })));
    // Well past their deadline: by then every handler that was waiting has given up (and closed its own).
    const abandoned = await this.closeAbandonedApprovals({ before: new Date(this.clock.now().getTime() - ABANDONED_AFTER_MS), actor }).catch(note('closing abandoned logins'));
    let reminders: ReminderResult | undefined;
    let digest: boolean | undefined;
    if (expiry && idempotency) {
      const reminderDeps = { certificates, idempotency, notifier: expiry, clock: this.clock };
      const expiring = await window().catch(note('reading expiring certificates'));
      if (expiring) {
        reminders = await sendExpiryReminders(reminderDeps, expiring).catch(note('reminders'));
        digest = await sendWeeklyDigest(reminderDeps, expiring).catch(note('weekly digest'));
      }
    }
    return { renewals, sessions, retired, reminders, digest, abandoned: abandoned?.length ?? 0, problems };
  }

  /** Logins left PENDING by a handler that went away, closed as expired and audited (services/abandoned-approvals.ts). */
  async closeAbandonedApprovals(scope: AbandonedApprovalScope): Promise<Approval[]> {
    const { approvals, audit } = this.deps;
    return approvals ? closeAbandonedApprovals({ approvals, audit, clock: this.clock }, scope) : [];
  }
}

export { storesFor };
