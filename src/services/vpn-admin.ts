import type { Approval } from '../domain/approval';
import type { Deadline } from '../domain/deadline';
import type { MemberProfile } from '../domain/member';
import { VpnChatopsError } from '../domain/errors';
import { parseWindow } from '../domain/window';
import type { CertificateAuthority } from '../pki/ca';
import { KeyPool } from '../pki/key-pool';
import {
  AccessRequestStore,
  type AgentAlertSink,
  AgentHeartbeat,
  AgentRegistry,
  AlertSink,
  ApprovalStore,
  AuditLog,
  CertificateStore,
  Clock,
  ConnectionLogSource,
  FailureMetricsSource,
  CrlStateStore,
  ExpiryNotifier,
  type FloodAlertSink,
  FloodStateStore,
  GrantStore,
  IdempotencyStore,
  MemberDirectory,
  OffboardingNotifier,
  ReconcileProgressStore,
  SessionKillQueue,
  VpnEndpoint,
  systemClock,
} from '../ports';
import { AbandonedApprovalScope, closeAbandonedApprovals } from './abandoned-approvals';
import { AgentWatchReport, watchAgents } from './agent-watch';
import { RetireReason, renewCertificate, retireReplaced } from './certificate-renewal';
import { InsightsReport, connectionInsights } from './connection-insights';
import { TlsReport, tlsTroubleshooting } from './tls-troubleshooting';
import { EndpointFailureWindows, failureWindows } from './failure-windows';
import { CrlStatus, crlStatus } from './crl-status';
import { DailyReport, runDaily } from './daily';
import { Check, DoctorPolicy, DoctorProbes, runDoctor } from './doctor';
import { ExpirySweepReport, sweepExpiry } from './expiry-sweep';
import { extendAccess } from './extend-access';
import { FloodWatchReport, watchFloods } from './flood-watch';
import { IssueRequest, issueCertificate } from './issue';
import { OffboardingOutcome, OffboardingPolicy, ReconcileDeps, ReconcilePace, offboardReported } from './offboarding';
import { OffboardingPassReport, continueOffboardingPass } from './offboarding-pass';
import { CrlPublisher } from './publish-crl';
import { CrlPolicy, RevokeRequest, revoke } from './revoke';
import { endEligibility } from './end-eligibility';
import { DEFAULT_MAX_ACCESS_HOURS } from './time-boxed';
import type { PublishOutcome } from '../domain/revocation-report';

/** The settings the use cases read; the bot's Config has them under the same names. */
export interface AdminSettings {
  CERT_DOMAIN: string;
  CERT_DAYS: number;
  CRL_DAYS: number;
  CRL_PUBLISH_MODE: 'immediate' | 'window';
  CRL_WINDOW: string;
  CRL_RENEW_BEFORE_DAYS: number;
  /** The longest time-boxed access (services/time-boxed.ts); its default where a caller's settings leave it out. */
  MAX_ACCESS_HOURS?: number;
}

export const doctorPolicy = (config: AdminSettings): DoctorPolicy => ({
  renewBeforeDays: config.CRL_RENEW_BEFORE_DAYS,
  publishMode: config.CRL_PUBLISH_MODE,
  certDays: config.CERT_DAYS,
});

export interface AppDeps {
  config: AdminSettings;
  ca: CertificateAuthority;
  certificates: CertificateStore;
  crlState: CrlStateStore;
  audit: AuditLog;
  /** Login approvals, for the App Home's recent logins; absent where approvals are not used. */
  approvals?: ApprovalStore;
  endpoints: VpnEndpoint[];
  /** Each endpoint's connection log, for connection insights; absent where they are not read. */
  connectionLogs?: ConnectionLogSource[];
  /** AWS endpoints' AuthenticationFailures, for doctor and the logs' window; absent where they are not read. */
  failureMetrics?: FailureMetricsSource[];
  alerts: AlertSink;
  /** The agents' heartbeats (self-hosted OpenVPN served by `vpnctl agent`); absent where no agent reports. */
  agents?: AgentRegistry;
  /** Where an agent's silence and return are told; without it the five-minute check has no one to tell. */
  agentAlerts?: AgentAlertSink;
  /** The kills queued for agents, which the five-minute check tells of when they are stuck. */
  sessionKills?: SessionKillQueue;
  /** What the 15-minute flood watch last told, and where it tells; without both it watches nothing. */
  floodState?: FloodStateStore;
  floodAlerts?: FloodAlertSink;
  /** Expiry reminders, the admins' digest and renewal notices; the daily job skips them without it. */
  expiry?: ExpiryNotifier;
  /** "Sent once" claims for reminders and the digest. */
  idempotency?: IdempotencyStore;
  /** Access requests, which the daily job expires after 24 h; absent where nobody requests. */
  accessRequests?: AccessRequestStore;
  /** Temporary eligibility (`/vpn grant`), which someone else's revoke of a member ends. */
  grants?: GrantStore;
  /** Ending the access of members who leave Slack (OFFBOARDING); absent where there is no Slack to ask. */
  offboarding?: {
    policy: OffboardingPolicy;
    members: MemberDirectory;
    notifier: OffboardingNotifier;
    pace?: Partial<ReconcilePace>;
  };
  /** Where the offboarding reconcile's pass stands; without it there is no reconcile to resume. */
  reconcileProgress?: ReconcileProgressStore;
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
    this.publisher = new CrlPublisher({
      ...deps,
      clock: this.clock,
      crlDays: deps.config.CRL_DAYS,
      coalesceMs: deps.coalesceMs ?? 1500,
    });
  }

  /**
   * The longest time-boxed access anyone may have (MAX_ACCESS_HOURS): every caller that passes validHours checks it.
   */
  get maxAccessHours(): number {
    return this.deps.config.MAX_ACCESS_HOURS ?? DEFAULT_MAX_ACCESS_HOURS;
  }

  /** The endpoint profiles are built from: the first one configured. */
  get profileEndpoint(): VpnEndpoint {
    const endpoint = this.deps.endpoints[0];
    if (!endpoint)
      throw new VpnChatopsError(
        'INVALID_CONFIG',
        'No VPN endpoint is configured: set VPN_ENDPOINTS (see .env.example).',
      );
    return endpoint;
  }

  issue(request: IssueRequest) {
    const { ca, certificates, audit, config } = this.deps;
    return issueCertificate(
      {
        ca,
        certificates,
        audit,
        clock: this.clock,
        endpoint: this.profileEndpoint,
        keys: this.keys.take,
        certDomain: config.CERT_DOMAIN,
        certDays: config.CERT_DAYS,
      },
      request,
    );
  }

  async revoke(request: RevokeRequest) {
    const { grants, accessRequests, audit } = this.deps;
    // An admin's revoke of a member, or offboarding, also ends what would let them straight back in: a grant
    // and a request waiting for the admins. Someone revoking their own lost laptop keeps both.
    if ('slackId' in request.target && request.target.slackId !== request.actor)
      await endEligibility(
        { grants, requests: accessRequests, audit, clock: this.clock },
        request.target.slackId,
        request.actor,
      );
    return revoke({ ...this.deps, clock: this.clock, publisher: this.publisher, policy: this.policy }, request);
  }

  /**
   * A new certificate for the same device that retires the old one once it is used (services/certificate-renewal.ts).
   */
  renew(request: { serial: string; userId: string; displayName: string; endsBy?: Date }) {
    return renewCertificate(
      { ...this.deps, clock: this.clock, issue: (issue) => this.issue(issue), access: this.accessLimits },
      request,
    );
  }

  /** Time-boxed access for as long again, as a replacement certificate (services/extend-access.ts). */
  extend(request: { serial: string; userId: string; displayName: string; endsBy?: Date }) {
    return extendAccess(
      { ...this.deps, clock: this.clock, issue: (issue) => this.issue(issue), access: this.accessLimits },
      request,
    );
  }

  /** CERT_DAYS and MAX_ACCESS_HOURS: what a certificate may last, for the use cases and the Home's duration select. */
  get accessLimits(): { certDays: number; maxHours: number } {
    return { certDays: this.deps.config.CERT_DAYS, maxHours: this.maxAccessHours };
  }

  /** Retire what `replacementSerial` replaces, and tell its owner; the owner's DM is a courtesy that may fail. */
  retireReplaced(replacementSerial: string, why: RetireReason) {
    return retireReplaced(
      {
        certificates: this.deps.certificates,
        revoke: (request) => this.revoke(request),
        owners: this.deps.expiry,
        clock: this.clock,
      },
      replacementSerial,
      why,
    );
  }

  publishAll(actor: string): Promise<PublishOutcome[]> {
    return Promise.all(this.deps.endpoints.map((endpoint) => this.publisher.publish(endpoint, actor)));
  }

  /** Each endpoint's live CRL, read back and compared with our records. */
  crlStatuses(): Promise<CrlStatus[]> {
    const { CRL_RENEW_BEFORE_DAYS: renewBeforeDays, CRL_PUBLISH_MODE: publishMode } = this.deps.config;
    return Promise.all(
      this.deps.endpoints.map((endpoint) =>
        crlStatus({ ...this.deps, clock: this.clock, renewBeforeDays, publishMode }, endpoint),
      ),
    );
  }

  /** Connection attempts over the last `hours` (capped), per endpoint. */
  connectionInsights(hours: number): Promise<InsightsReport> {
    return connectionInsights(this.deps.connectionLogs ?? [], hours, this.clock.now());
  }

  /** Failed attempts over the last `hours`, grouped by client version × TLS version × cipher × failure class. */
  tlsTroubleshooting(hours: number): Promise<TlsReport> {
    return tlsTroubleshooting(this.deps.connectionLogs ?? [], hours, this.clock.now());
  }

  /** Where each AWS endpoint's AuthenticationFailures spiked in the last `hours`: the window to read logs for. */
  failureWindows(hours: number): Promise<EndpointFailureWindows[]> {
    return failureWindows(this.deps.failureMetrics ?? [], hours, this.clock.now());
  }

  /** Every health check, one line each; see services/doctor.ts. */
  doctor(probes: DoctorProbes): Promise<Check[]> {
    const { ca, crlState, endpoints, config, agents, failureMetrics } = this.deps;
    return runDoctor({
      ca,
      crlState,
      endpoints,
      agents,
      failureMetrics,
      clock: this.clock,
      policy: doctorPolicy(config),
      ...probes,
    });
  }

  /** The daily job (services/daily.ts): CRL renewal, the session sweep, retirements, reminders. */
  daily(actor = 'system:daily', deadline?: Deadline): Promise<DailyReport> {
    return runDaily(
      {
        ...this.deps,
        clock: this.clock,
        publisher: this.publisher,
        policy: this.policy,
        renewBeforeDays: this.deps.config.CRL_RENEW_BEFORE_DAYS,
        revoke: (request) => this.revoke(request),
        deadline,
      },
      actor,
    );
  }

  /**
   * The offboarding reconcile, on its own schedule: goes on with the users.list pass under way until `deadline`
   * (services/offboarding-pass.ts). Nothing to do without Slack to ask or a place to keep the pass.
   */
  async reconcileOffboarding(deadline?: Deadline): Promise<OffboardingPassReport | undefined> {
    const offboarding = this.offboardingDeps();
    const progress = this.deps.reconcileProgress;
    return offboarding && progress ? continueOffboardingPass({ ...offboarding, progress, deadline }) : undefined;
  }

  /**
   * Every 5 minutes: end expired certificates' sessions, warn time-boxed access ending soon (services/expiry-sweep.ts).
   */
  sweepExpiry(actor = 'system:expiry'): Promise<ExpirySweepReport> {
    const { certificates, audit, endpoints, idempotency, expiry, config } = this.deps;
    return sweepExpiry(
      { certificates, audit, endpoints, idempotency, notifier: expiry, clock: this.clock, certDays: config.CERT_DAYS },
      actor,
    );
  }

  /** A member Slack reports changed (user_change): offboarded when they left (services/offboarding.ts). */
  async offboard(member: MemberProfile, homeTeam?: string): Promise<OffboardingOutcome> {
    const deps = this.offboardingDeps();
    return deps ? offboardReported(deps, member, homeTeam) : { outcome: 'ignored', because: 'off' };
  }

  private offboardingDeps(): ReconcileDeps | undefined {
    const { offboarding, idempotency, certificates, audit } = this.deps;
    if (!offboarding || !idempotency) return undefined;
    return {
      ...offboarding,
      certificates,
      audit,
      idempotency,
      clock: this.clock,
      revoke: (request) => this.revoke(request),
    };
  }

  /** The five-minute check on the agents' heartbeats (services/agent-watch.ts); nothing to do without agents. */
  async watchAgents(): Promise<AgentWatchReport> {
    const { agents, agentAlerts, sessionKills } = this.deps;
    if (!agents || !agentAlerts) return { agents: 0, silent: [], back: [], told: [], problems: [] };
    return watchAgents({ agents, alerts: agentAlerts, clock: this.clock, kills: sessionKills });
  }

  /** Every 15 minutes: floods and names that keep failing, told once per change (services/flood-watch.ts). */
  async watchFloods(): Promise<FloodWatchReport> {
    const { connectionLogs, floodState, floodAlerts } = this.deps;
    if (!floodState || !floodAlerts) return { watched: [], unwatched: [], alerted: [], problems: [] };
    return watchFloods({ sources: connectionLogs ?? [], state: floodState, alerts: floodAlerts, clock: this.clock });
  }

  /** Each agent's newest heartbeat, for the admin Home; none where no agent reports. */
  async agentHeartbeats(): Promise<AgentHeartbeat[]> {
    return (await this.deps.agents?.list()) ?? [];
  }

  /**
   * Logins left PENDING by a handler that went away, closed as expired and audited (services/abandoned-approvals.ts).
   */
  async closeAbandonedApprovals(scope: AbandonedApprovalScope): Promise<Approval[]> {
    const { approvals, audit } = this.deps;
    return approvals ? closeAbandonedApprovals({ approvals, audit, clock: this.clock }, scope) : [];
  }
}
