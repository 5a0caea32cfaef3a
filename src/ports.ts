import type { CaMaterial } from './pki/ca';
import type { Revocation, RevocationReason, RevocationTarget } from './domain/revocation';
import type { CertificateRecord, CertificateStatus } from './domain/certificate';
import type { AuditEntry, AuditQuery } from './domain/audit';
import type { Approval, ApprovalStatus, LoginAlert } from './domain/approval';
import type { ConnectionAttempt } from './domain/connection-log';
import type { DigestEntry, Reminder } from './domain/expiry';
import type { AccessRequest, Grant } from './domain/access';
import type { MemberProfile } from './domain/member';
import type { RevocationReport } from './domain/revocation-report';
import type { FailureCount } from './domain/failure-spikes';

/** Where the CA certificate and key live: Secrets Manager in AWS, a 0600 file locally. Nothing else holds the key. */
export interface CaStore {
  /** A human-readable location for messages, e.g. a path or a secret id. */
  readonly location: string;
  load(): Promise<CaMaterial | undefined>;
  /** Refuses to replace an existing CA unless `overwrite` is set: losing a CA key orphans every certificate. */
  save(material: CaMaterial, options?: { overwrite?: boolean }): Promise<void>;
}

/**
 * Each agent-served endpoint's tls-crypt-v2 server key, kept where the CA key is kept, so a bot away from the VPN
 * host (Lambda) can wrap client keys. By endpoint key (`openvpn:<name>`). A secret: errors never quote it.
 */
export interface TlsCryptV2KeyStore {
  /** A human-readable location for messages, e.g. a path or a secret id. */
  readonly location: string;
  load(endpointKey: string): Promise<string | undefined>;
  save(endpointKey: string, serverKeyPem: string): Promise<void>;
  /** Nothing to do when there is no key for the endpoint. */
  remove(endpointKey: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Certificate metadata. Never a private key. */
export interface CertificateStore {
  /** Fails with CONFLICT when the serial exists or the CN already has an active certificate. */
  create(record: CertificateRecord): Promise<void>;
  /** Bulk insert for migrations; skips serials already present and returns how many were written. */
  importMany(records: CertificateRecord[]): Promise<number>;
  get(serial: string): Promise<CertificateRecord | undefined>;
  byUser(slackId: string): Promise<CertificateRecord[]>;
  /** The one active (or suspended) certificate holding this CN, if any: what the connect handler's gate reads. */
  byActiveCn(cn: string): Promise<CertificateRecord | undefined>;
  list(filter?: { status?: CertificateStatus }): Promise<CertificateRecord[]>;
  /**
   * One page of every certificate, for the admin views at any size: active, then suspended (soonest expiry first),
   * then revoked, then those expired by `now`; `cursor` is the previous page's `next`, absent on the last page.
   * Fails with NOT_FOUND on a cursor that is not one of its own.
   */
  page(query: { limit: number; cursor?: string; now: Date }): Promise<{ records: CertificateRecord[]; next?: string }>;
  /**
   * How many certificates there are by status, counted at most a few minutes before `now` (a count is costly at size).
   */
  counts(now: Date): Promise<Record<CertificateStatus, number>>;
  /**
   * active|suspended → revoked, conditionally (two admins revoking at once is harmless).
   * Returns the updated record, or undefined when it was already revoked.
   */
  markRevoked(
    serial: string,
    change: { revokedAt: Date; reason: RevocationReason; actor: string },
  ): Promise<CertificateRecord | undefined>;
  /**
   * active ↔ suspended ("Not me" pauses a certificate until its owner or an admin re-enables it); false if it was not
   * in `from`.
   */
  setSuspended(serial: string, suspended: boolean): Promise<boolean>;
  /** Revoked certificates whose notAfter is after `notAfterSince`: what the next CRL must list. */
  revocationsForCrl(notAfterSince: Date): Promise<Revocation[]>;
  /**
   * Active and suspended certificates with notAfter in (from, to], soonest first: what reminders and the digest read.
   */
  expiring(from: Date, to: Date): Promise<CertificateRecord[]>;
  /**
   * Record that `serial` was renewed into `replacement`, conditionally: only while it is active or
   * suspended and not already replaced by another (`previous` names a replacement that may be overwritten,
   * e.g. one that was revoked again). False when the condition did not hold.
   */
  markReplaced(serial: string, replacement: string, at: Date, previous?: string): Promise<boolean>;
}

/** Per-endpoint CRL publishing state. `endpoint` is a VpnEndpoint's `key`. */
export interface EndpointCrlRecord {
  endpoint: string;
  /** The CA whose counter `crlNumber` comes from: numbers from different CAs do not compare. */
  caId?: string;
  /** Serials revoked since the last publish, carried with the request: an index read may lag behind. */
  pending: string[];
  /** Bumped by every publish request; `served` says how far publishing has caught up. */
  requested: number;
  served: number;
  crlNumber?: string;
  thisUpdate?: string;
  nextUpdate?: string;
  entries?: number;
  publishedAt?: string;
  verifiedAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  /** Days-left thresholds (14/7/3/1) already alerted since the last successful publish. */
  alerted?: number[];
}

export interface CrlStateStore {
  /** Atomic per-CA counter: every CRL gets a fresh, strictly larger number (larger than `after` too, when given). */
  nextCrlNumber(caId: string, after?: bigint): Promise<bigint>;
  /** The largest CRL number handed out so far (0 when none). */
  currentCrlNumber(caId: string): Promise<bigint>;
  getEndpoint(endpoint: string): Promise<EndpointCrlRecord | undefined>;
  listEndpoints(): Promise<EndpointCrlRecord[]>;
  /**
   * Record that `endpoint` needs a new CRL (listing `serials`); returns the new `requested` value, the caller's ticket.
   */
  requestPublish(endpoint: string, serials?: string[]): Promise<number>;
  /** A lease so that one publisher at a time works on an endpoint, across processes and Lambdas. */
  acquireLease(endpoint: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extend a lease still held by `owner`; false when it was lost (expired and taken). */
  renewLease(endpoint: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(endpoint: string, owner: string): Promise<void>;
  /** Conditional: only moves forward within one CA. Returns false if a newer CRL of that CA is recorded. */
  recordPublished(
    endpoint: string,
    result: {
      caId: string;
      served: number;
      crlNumber: bigint;
      thisUpdate: Date;
      nextUpdate: Date;
      entries: number;
      at: Date;
      listed: string[];
    },
  ): Promise<boolean>;
  recordFailure(endpoint: string, error: string, at: Date): Promise<void>;
  recordAlerted(endpoint: string, thresholds: number[]): Promise<void>;
}

export interface AuditLog {
  /** Append-only: an entry is never overwritten or deleted. */
  append(entry: Omit<AuditEntry, 'id' | 'at'> & { at?: Date }): Promise<AuditEntry>;
  query(query: AuditQuery): Promise<AuditEntry[]>;
}

/** Who the VPN admins are (ADMIN_SLACK_IDS, ADMIN_USERGROUP_ID), asked at the moment an admin action runs. */
export interface AdminDirectory {
  isAdmin(slackId: string): Promise<boolean>;
}

/** Who is in a Slack user group now (ISSUE_USERGROUP_ID: the people who may issue under ISSUE_POLICY=group|request). */
export interface GroupMembership {
  has(slackId: string): Promise<boolean>;
}

/** Temporary eligibility to issue (`/vpn grant`), one per person: a new grant replaces the last. */
export interface GrantStore {
  put(grant: Grant): Promise<void>;
  /** The person's grant if it still holds at `now`; an expired one reads as none, whatever TTL has not yet deleted. */
  active(slackId: string, now: Date): Promise<Grant | undefined>;
  /** Ends the person's grant now (an admin's revoke, offboarding); true when there was one. */
  end(slackId: string): Promise<boolean>;
}

/** Requests for VPN access (ISSUE_POLICY=request), decided by the admins within 24 h. */
export interface AccessRequestStore {
  create(request: AccessRequest): Promise<void>;
  get(id: string): Promise<AccessRequest | undefined>;
  attachMessage(id: string, channel: string, ts: string): Promise<void>;
  /**
   * pending → approved | denied in one conditional write: still pending, not expired at `at`, and `by` is not the
   * requester. Undefined when any of that does not hold, so two admins clicking at once yield one decision.
   */
  decide(
    id: string,
    decision: { state: 'approved' | 'denied'; by: string; at: Date; hours?: number },
  ): Promise<AccessRequest | undefined>;
  /**
   * approved → pending again, only while still approved by the same admin: the approval's certificate could not be
   * issued, so the request waits for an admin once more instead of claiming a profile nobody received.
   */
  reopen(request: AccessRequest): Promise<boolean>;
  /** pending → expired, conditionally; undefined when it was decided meanwhile. */
  expire(id: string, at: Date): Promise<AccessRequest | undefined>;
  /** Pending requests not yet expired at `now`, oldest first, at most a page (the admin Home). */
  pending(now: Date): Promise<AccessRequest[]>;
  /** Requests still stored as pending whose 24 h ran out before `now`: the daily job closes and audits them. */
  lapsed(now: Date): Promise<AccessRequest[]>;
  /** The person's latest request, if any (their Home). */
  latest(slackId: string): Promise<AccessRequest | undefined>;
}

/** Who is in the workspace now, asked of Slack (users.info, users.list). */
export interface MemberDirectory {
  /** Fails with a typed error when Slack does not answer or does not know the member. */
  member(slackId: string): Promise<MemberProfile>;
  /**
   * One page of every account in the workspace, deactivated ones included; `nextCursor` is absent on the last
   * page. Fails with a typed error when Slack does not answer; with ListingCursorRefused (domain/member) when it
   * no longer takes `cursor`.
   */
  page(request: { cursor?: string; limit: number }): Promise<{ members: MemberProfile[]; nextCursor?: string }>;
  /** The bot's own workspace (auth.test), to tell our members from other teams'. */
  team(): Promise<string>;
}

/** One live VPN session as the endpoint reports it. */
export interface VpnSession {
  connectionId: string;
  commonName: string;
  clientIp?: string;
  connectedAt?: Date;
}

/** What an endpoint holds now, read back from it. */
export interface LiveCrl {
  /** PEM, or undefined when the endpoint has no CRL at all. */
  pem?: string;
  /** AWS reports `pending` | `active`; OpenVPN files are always `active`. */
  status?: string;
}

export interface EndpointHealth {
  ok: boolean;
  detail: string;
  /** Self-hosted OpenVPN only, when its management interface answered: how it is guarded. */
  management?: ManagementAccess;
  /**
   * What to do when it is not ok, where the endpoint knows better than a generic hint (e.g. the local stack restarts
   * it).
   */
  fix?: string;
}

/**
 * Whoever can send commands to an OpenVPN management interface can approve any login (client-auth-nt) or end any
 * session.
 */
export interface ManagementAccess {
  address: string;
  transport: 'tcp' | 'unix';
  /** The server asked for a password before it took commands. */
  passwordProtected: boolean;
  /** Unix socket only: its file mode lets every local user connect. */
  openToAllUsers?: boolean;
}

/** The certificate a VPN server presents to its clients: when it runs out, nobody can connect. */
export interface ServerCertificate {
  /** Where it lives: an ACM certificate ARN or a file path. */
  location: string;
  subject?: string;
  notAfter: Date;
  /** ACM's status (ISSUED, EXPIRED, REVOKED…); absent for a file. */
  status?: string;
}

/** Client VPN's connect handler (login approval) as the endpoint reports it. */
export interface ConnectHandlerState {
  enabled: boolean;
  functionArn?: string;
  /** `applying` while a change rolls out, `applied` once in force. */
  status?: string;
}

/**
 * A VPN server we manage: AWS Client VPN or self-hosted OpenVPN. Every method fails with a
 * VpnChatopsError (code ENDPOINT) whose message names the endpoint and says what to do.
 */
export interface VpnEndpoint {
  /** Stable id used in records and messages, e.g. `aws-client-vpn:cvpn-endpoint-…` or `openvpn:local`. */
  readonly key: string;
  readonly kind: 'aws-client-vpn' | 'openvpn';
  /** Replace the endpoint's CRL. On AWS this resets every connection on the endpoint. */
  importCrl(pem: string): Promise<void>;
  exportCrl(): Promise<LiveCrl>;
  listSessions(): Promise<VpnSession[]>;
  /**
   * Returns the ids actually terminated. `actor` is who asked (a Slack id, `system:daily`): an endpoint that
   * keeps the request, like an agent-served one, records it; the others ignore it.
   */
  terminateSessions(connectionIds: string[], actor?: string): Promise<string[]>;
  /** The client configuration to build profiles from (no client certificate or key in it). */
  clientConfiguration(): Promise<string>;
  /** Self-hosted OpenVPN only: the tls-crypt key profiles must carry. */
  tlsCryptKey?(): Promise<string | undefined>;
  /**
   * Self-hosted OpenVPN with per-client keys only: the tls-crypt-v2 server key that wraps each profile's own client
   * key (its metadata names the certificate, so the server drops a revoked one before TLS). A secret: never logged.
   */
  tlsCryptV2ServerKey?(): Promise<string | undefined>;
  health(): Promise<EndpointHealth>;
  /**
   * Where the live CRL is a file that reads the same whether or not the server enforcing it runs, and the
   * server is expected to run beside us (npm start's own): its health, for CRL status to report it down.
   */
  enforcerHealth?(): Promise<EndpointHealth | undefined>;
  /** Read from where the endpoint keeps it; undefined when its configuration does not say where that is. */
  serverCertificate?(): Promise<ServerCertificate | undefined>;
  /** AWS Client VPN only: whether login approval is attached, and to which function. */
  connectHandler?(): Promise<ConnectHandlerState>;
}

/** What reading a connection log over a window produced, and what it had to skip. */
export interface ConnectionLogRead {
  attempts: ConnectionAttempt[];
  /** Log events (AWS) or lines (OpenVPN) read. */
  events: number;
  /** Entries that are not valid log entries at all: skipped and counted, never fatal. */
  malformed: number;
  /** Valid entries that are not connection attempts. */
  ignored: number;
  /** Field names the documented format does not have: a sign the log format has moved on. */
  unrecognisedFields: Set<string>;
  /** Set when reading stopped before the end of the window, saying where and why. */
  truncated?: string;
  /** What a reader of the summary must know about this kind of log. */
  notes?: string[];
}

/** An endpoint's connection log: CloudWatch Logs for AWS Client VPN, the server's log file for OpenVPN. */
export interface ConnectionLogSource {
  /** The VpnEndpoint key it belongs to, e.g. `aws-client-vpn:cvpn-endpoint-…`. */
  readonly endpoint: string;
  /** Attempts logged within [from, to), bounded in size. Fails with a VpnChatopsError that says what to do. */
  read(from: Date, to: Date): Promise<ConnectionLogRead>;
}

/**
 * Where reading a log file stopped: which file (so a replaced one is noticed) and the byte after the last whole line.
 */
export interface LogFilePosition {
  /** The file's identity on this host (device and inode). */
  file: string;
  offset: number;
  /**
   * The last bytes before `offset`, base64: a file truncated and grown past `offset` again no longer has them there.
   */
  mark: string;
}

/** A server's log file on this host, read a piece at a time as it grows: the agent ships it without re-reading it. */
export interface GrowingLogFile {
  /** The VpnEndpoint key it belongs to, e.g. `openvpn:office`. */
  readonly endpoint: string;
  /**
   * Hands each whole line written since `after` to `line`, oldest first, and says where the next read starts.
   * A replaced or truncated (rotated) file, or no `after`, is read from its start; only the end of a stretch
   * too long to read is, and `skipped` then says what was left out. Fails with a VpnChatopsError that says what to do.
   */
  readSince(after: LogFilePosition | undefined, line: (text: string) => void): Promise<GrowingLogRead>;
}

export interface GrowingLogRead {
  position: LogFilePosition;
  skipped?: string;
}

/**
 * An endpoint's failed logins counted over time: AWS Client VPN's `AuthenticationFailures` metric. AWS does
 * not log a failed certificate handshake, so this is where an outage like seed 000's shows, and the window
 * where it shows is where to read the connection log.
 */
export interface FailureMetricsSource {
  /** The VpnEndpoint key it belongs to, e.g. `aws-client-vpn:cvpn-endpoint-…`. */
  readonly endpoint: string;
  /**
   * Failures per `periodMs` within [from, to), one count per period with data. Fails with a VpnChatopsError that says
   * what to do.
   */
  authenticationFailures(from: Date, to: Date, periodMs: number): Promise<FailureCount[]>;
}

export interface Alert {
  level: 'warning' | 'critical';
  endpoint: string;
  daysLeft: number;
  message: string;
}

/** Where alerts go: the admin channel in Slack, stderr for the CLI, a list in tests. */
export interface AlertSink {
  send(alert: Alert): Promise<void>;
}

/*
 * What the admins are told without asking (an agent gone silent, a flood, a member offboarded), as data:
 * the Slack side renders each alert (slack/views/<alert>.ts) and posts it to the admin channel.
 */

/** An agent gone silent or back (services/agent-watch.ts); the Slack side renders it (slack/views/agent-alerts.ts). */
export interface AgentAlert {
  /** `silent`: no heartbeat for 5 minutes; `back`: it beats again after such a silence. */
  kind: 'silent' | 'back';
  agentId: string;
  host: string;
  version: string;
  endpoints: string[];
  /** The newest heartbeat: the last one before the silence, or the one that ended it. */
  lastBeatAt: Date;
}

/**
 * A fault an agent's heartbeat shows, or its end, as data: the Slack side renders it
 * (slack/views/agent-health-alert.ts).
 */
export type AgentHealthAlert =
  | {
      /**
       * `cannot-serve`: unhealthy for 5 minutes by the agent's heartbeats; `serves-again`: healthy again after that.
       */
      kind: 'cannot-serve' | 'serves-again';
      endpoint: string;
      agentId: string;
      host: string;
      /** The heartbeat's health detail, written on the VPN host. */
      reason: string;
      /** The endpoint's own fix, where it knows better than the generic one. */
      fix?: string;
      /** Unhealthy since (`cannot-serve`), or the healthy heartbeat (`serves-again`); the agent's clock. */
      at: Date;
    }
  | {
      /** `clock-skewed`: the agent's clock is 10 s or more off; `clock-back`: within that again. */
      kind: 'clock-skewed' | 'clock-back';
      agentId: string;
      host: string;
      /** Seconds the agent's clock runs ahead (negative: behind). */
      skewS: number;
      /**
       * `reference`: the agent measured it against its time reference; `heartbeat`: its heartbeat is dated ahead of the
       * bot's clock.
       */
      measuredBy: 'reference' | 'heartbeat';
    }
  | {
      /**
       * `two-acting`: fresh heartbeats of two or more agents act for one endpoint at once (the lease failed them, e.g.
       * their clocks disagree); `one-acting`: one acts again.
       */
      kind: 'two-acting' | 'one-acting';
      endpoint: string;
      /** The agents acting for it, newest heartbeat first: two or more for `two-acting`, the one for `one-acting`. */
      agents: Pick<AgentHeartbeat, 'agentId' | 'host'>[];
    }
  | {
      /** `kills-stuck`: a queued kill failed 30 times or waited 10 minutes; `kills-done`: none is stuck any more. */
      kind: 'kills-stuck' | 'kills-done';
      endpoint: string;
      agentId: string;
      host: string;
      /** The stuck kills, oldest first (their errors were written by the agent); none for `kills-done`. */
      kills: Pick<SessionKill, 'connectionId' | 'commonName' | 'requestedAt' | 'attempts' | 'lastError'>[];
    };

export interface AgentAlertSink {
  agent(alert: AgentAlert): Promise<void>;
  health(alert: AgentHealthAlert): Promise<void>;
}

export interface FloodSource {
  ip: string;
  /** Failed attempts from it within the last hour. */
  failedPerHour: number;
  /** Most of its attempts were refused at the first packet (tls-crypt / tls-auth), not after TLS had started. */
  droppedBeforeTls: boolean;
}

/** A flood of failed logins on one endpoint (services/flood-watch.ts). */
export interface FloodAlert {
  /**
   * `started`: a flood or a name that keeps failing appeared; `changed`: new sources or names, or the rate doubled;
   * `over`.
   */
  kind: 'started' | 'changed' | 'over';
  endpoint: string;
  /** AWS Client VPN has no tls-crypt: its advice differs. */
  selfHosted: boolean;
  sources: FloodSource[];
  /** Sources over the flood rule beyond those listed. */
  moreSources: number;
  /** Failed attempts per hour from all flooding sources together. */
  ratePerHour: number;
  /** Certificate names whose last attempts keep failing. */
  failingNames: { commonName: string; failed: number; topReason?: string }[];
  from: Date;
  to: Date;
  /** What was told before, for `changed` and `over`. */
  previous?: { sources: number; ratePerHour: number; since: Date };
}

export interface FloodAlertSink {
  flood(alert: FloodAlert): Promise<void>;
}

/** Why a member's access ends when Slack says they changed (services/offboarding.ts). */
export type OffboardingCause = 'deactivated' | 'guest';

/** What the admins are told; the admin channel in Slack. Never throws: the access has ended whatever it does. */
export interface OffboardingNotifier {
  offboarded(notice: OffboardingNotice & { report: RevocationReport }): Promise<void>;
  /** OFFBOARDING=report: the member still holds `certificates`, for an admin to revoke. */
  toReview(notice: OffboardingNotice & { certificates: CertificateRecord[] }): Promise<void>;
}

export interface OffboardingNotice {
  member: MemberProfile;
  cause: OffboardingCause;
  /** A user_change event, or the daily reconcile catching one that was missed. */
  source: 'event' | 'reconcile';
}

/** "Seen once" markers, e.g. Slack event ids: Slack retries deliveries, and a retry must not act twice. */
export interface IdempotencyStore {
  /** True the first time `key` is claimed within `ttlSeconds`; false for every repeat. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** Forget a claim whose work failed, so the next attempt may claim it again. */
  release(key: string): Promise<void>;
}

/** Login approvals and the state that guards them against MFA fatigue. */
export interface ApprovalStore {
  /** A new PENDING approval; its TTL lies past its deadline, so nothing stays PENDING forever. */
  create(approval: Approval): Promise<void>;
  /** Strongly consistent: what a decision rests on. */
  get(id: string): Promise<Approval | undefined>;
  /**
   * Eventually consistent, at half a read's cost: may lag a decision by a moment, never shows one not made. For
   * polling.
   */
  peek(id: string): Promise<Approval | undefined>;
  /** Record the DM that carries the prompt, so a reaction on it can be traced back. */
  attachMessage(id: string, channel: string, ts: string): Promise<void>;
  /**
   * The 👍 path: the approval whose prompt is the message (channel, ts), decided by `owner` in one
   * conditional write. 'unlinked' when no approval names that message (yet); undefined when it is not
   * `owner`'s, no longer pending, or (for APPROVED) past its deadline.
   */
  decideByMessage(
    channel: string,
    ts: string,
    owner: string,
    status: Exclude<ApprovalStatus, 'PENDING'>,
    at: Date,
  ): Promise<Approval | 'unlinked' | undefined>;
  /** Conditional PENDING → status; false when it was already decided (duplicates and retries are harmless). */
  decide(id: string, status: Exclude<ApprovalStatus, 'PENDING'>, by: string, at: Date): Promise<boolean>;
  /** Remember an approval of this certificate from this public IP, granted at `from`, until `until`. */
  remember(serial: string, publicIp: string, window: { from: Date; until: Date }): Promise<void>;
  /**
   * Whether a remembered approval of this certificate from this IP holds at `now`; one granted before `notBefore` does
   * not.
   */
  isRemembered(serial: string, publicIp: string, now: Date, notBefore?: Date): Promise<boolean>;
  /**
   * Atomically record a prompt to `slackId` if fewer than `limit` were sent in the last `windowMs`; false when over.
   */
  claimPrompt(slackId: string, now: Date, limit: number, windowMs: number): Promise<boolean>;
  /** After "Not me": no prompts for this certificate until `until`. */
  coolDown(serial: string, until: Date): Promise<void>;
  isCoolingDown(serial: string, now: Date): Promise<boolean>;
  /** Undecided approvals whose deadline has not passed, soonest deadline first (admin App Home). */
  pending(now: Date): Promise<Approval[]>;
  /**
   * Approvals still stored as PENDING whose deadline is before `before`, oldest first, at most a page: logins whose
   * waiting handler went away (a stop, a crash) and that nobody closed.
   */
  unclosed(before: Date): Promise<Approval[]>;
  /** The member's latest approvals, newest first (App Home "recent logins"). */
  recent(slackId: string, limit: number): Promise<Approval[]>;
}

/**
 * What a login decision reads first, in as few requests as the store allows: after an AWS CRL import every
 * member reconnects at once, and most of those logins end here with a remembered approval.
 */
export interface LoginReader {
  /**
   * The certificate CertificateStore.byActiveCn would return for `cn`, whether ApprovalStore.isRemembered
   * holds for it from `publicIp` at `now` (granted after its last pause; never remembered without an IP), and
   * whether ApprovalStore.isCoolingDown holds for it at `now`.
   */
  read(
    cn: string,
    publicIp: string | undefined,
    now: Date,
  ): Promise<{ certificate: CertificateRecord | undefined; remembered: boolean; coolingDown: boolean }>;
  /**
   * Approval `id` as ApprovalStore.get reads it, and certificate `serial` if CertificateStore.byActiveCn(cn) still
   * returns it (undefined otherwise): both strongly consistent, for a decision a poll has shown.
   */
  confirm(
    id: string,
    cn: string,
    serial: string,
  ): Promise<{ approval: Approval | undefined; certificate: CertificateRecord | undefined }>;
}

/**
 * Room for one Slack Web API call under the published limit of its method, shared by every container of
 * every function through the table: calls are paced under the limit rather than retried into it.
 */
export interface SlackBudget {
  /** Waits for room until `by`; false when there is none by then, and the call must not be made. */
  take(method: string, by: Date): Promise<boolean>;
}

/** How the owner is asked and told: a Slack DM in production, a recorder in tests. */
export interface ApprovalNotifier {
  /** Post the prompt; returns the message that a 👍 must be put on. */
  prompt(approval: Approval): Promise<{ channel: string; ts: string }>;
  /** Rewrite the prompt as Approved / Denied / Expired. */
  settle(approval: Approval, status: Exclude<ApprovalStatus, 'PENDING'>): Promise<void>;
  alertAdmins(alert: LoginAlert): Promise<void>;
  /** Fails when Slack is out of reach before any prompt (e.g. its credentials unreadable); absent when always ready. */
  ready?(): Promise<void>;
}

/** How owners and admins are told about certificates running out: Slack DMs in production. */
export interface ExpiryNotifier {
  /** Waits until `by` for room to send a reminder under a limit shared with other messages; false when none came. */
  room?(by: Date): Promise<boolean>;
  remind(reminder: Reminder): Promise<void>;
  digest(entries: DigestEntry[], now: Date): Promise<void>;
  /** The owner's old certificate was revoked because its replacement took over. */
  retired(old: CertificateRecord, replacement: CertificateRecord, why: 'used' | 'grace-period'): Promise<void>;
  /** Time-boxed access ends within 15 minutes: tell the owner, with a way to extend it (services/expiry-sweep.ts). */
  endingSoon?(record: CertificateRecord, now: Date): Promise<void>;
}

/** Whether the state store answers, for `doctor`: a short description on success, a typed error otherwise. */
export interface DatabaseProbe {
  probe(): Promise<string>;
}

/** Who the bot token belongs to, as Slack's auth.test reports it. */
export interface SlackIdentity {
  team: string;
  botUserId: string;
  /** The token's scopes, from Slack's `x-oauth-scopes` header; undefined when Slack did not send it. */
  scopes?: string[];
}

export interface SlackProbe {
  /** Fails with a typed error when Slack refuses the token or does not answer. */
  identity(): Promise<SlackIdentity>;
}

/** A clock we do not control (a server's `Date` header), to measure our own clock against. */
export interface TimeReference {
  readonly source: string;
  now(): Promise<Date>;
}

/**
 * Slow work handed off by a listener that has already answered Slack (the 3-second rule): on
 * Lambda an asynchronous invocation of the worker, locally the same job in this process.
 * Jobs are plain JSON, and the worker re-checks who may do what when it runs them.
 */
export type Job = (
  | {
      type: 'issue';
      userId: string;
      teamId?: string;
      device?: string;
      csrPem?: string;
      responseUrl?: string;
      /** Time-boxed access (`/vpn issue laptop for 8h`); the worker checks it against MAX_ACCESS_HOURS. */
      validHours?: number;
    }
  | { type: 'revoke'; actorId: string; target: RevocationTarget; reason: RevocationReason; responseUrl?: string }
  | { type: 'publish-crl'; actorId: string; responseUrl?: string }
  | { type: 'crl-status'; actorId: string; responseUrl: string }
  /** `page` and `cursor`: a Next click on the list (CertificateStore.page); absent for its first page. */
  | { type: 'list'; actorId: string; responseUrl: string; page?: number; cursor?: string }
  | { type: 'logs'; actorId: string; hours: number; responseUrl: string }
  | { type: 'logs-tls'; actorId: string; hours: number; responseUrl: string }
  /** `cursor`: where the admin's page of certificates starts (CertificateStore.page), `page` its number. */
  | { type: 'home'; userId: string; page?: number; cursor?: string }
  | { type: 'doctor'; actorId: string; responseUrl?: string }
  /** `since` is an ISO time; the CSV goes to the actor's DM. */
  | { type: 'audit-export'; actorId: string; slackId?: string; since: string; responseUrl?: string }
  /** The Renew button of an expiry reminder: a new certificate for the same device as `serial`. */
  | { type: 'renew'; userId: string; teamId?: string; serial: string; responseUrl?: string }
  /** The Extend button of the 15-minute warning: time-boxed access for as long again, as a replacement of `serial`. */
  | { type: 'extend'; userId: string; teamId?: string; serial: string; responseUrl?: string }
  /** The replacement `serial` has connected: retire the certificate it replaces. */
  | { type: 'retire-replaced'; serial: string }
  /**
   * An admin's Approve (with the duration they chose) or Deny of an access request; the worker re-checks everything.
   */
  | {
      type: 'decide-request';
      actorId: string;
      requestId: string;
      approve: boolean;
      hours?: number;
      responseUrl?: string;
    }
  /** An approval prompt's final state, when chat.update's limit had no room for it at the decision. */
  | { type: 'settle-prompt'; approvalId: string; status: Exclude<ApprovalStatus, 'PENDING'> }
  /** A user_change event: `member` as the event described them, `teamId` the workspace that sent it. */
  | { type: 'offboard'; member: MemberProfile; teamId?: string }
) & {
  /**
   * Set when the transport may deliver a job twice (Lambda retries async invocations): the worker runs each id once.
   */
  id?: string;
  /**
   * The click this job answers (see slack/listeners/actions/button.ts): held while the job is in flight, released by
   * the worker when it has run.
   */
  claim?: string;
};

export interface JobQueue {
  enqueue(job: Job): Promise<void>;
}

/**
 * Opens the database, checks that it answers, and runs `work` with its stores. The use cases call it
 * only once the steps that need no database are done, and write nothing outside it until it answers:
 * a wrong table, missing credentials or an unreachable database then leave nothing behind.
 */
export type DatabaseScope<Stores> = <T>(work: (stores: Stores) => Promise<T>) => Promise<T>;

/** A file on this host replaced whole: the new text is staged beside it and renamed into place, never half-written. */
export interface ReplaceableFile {
  readonly location: string;
  read(): Promise<string | undefined>;
  stage(text: string): Promise<{ commit(): Promise<void>; discard(): Promise<void> }>;
}

/** Where a server certificate goes: files that are created new, never overwriting one, and can be removed again. */
export interface NewFiles {
  /** Fails when `name` exists, and leaves no file behind when it fails. */
  create(name: string, text: string, mode: number): Promise<void>;
  remove(name: string): Promise<void>;
}

/*
 * The agent on a self-hosted OpenVPN host (`vpnctl agent`). The bot may run anywhere (on Lambda, say)
 * and never reaches the VPN host: everything between them goes through the shared table. The bot
 * publishes CRLs and asks for sessions to end; the agent, which alone can reach the management interface
 * and the CRL file, carries that out and reports back, with a heartbeat.
 */

/** A CRL the bot published for an agent-served endpoint, as the agent downloads it. */
export interface DistributedCrl {
  endpoint: string;
  /** The CRL number, in decimal. */
  number: string;
  pem: string;
  /** Hex SHA-256 of `pem`, checked by the agent after reassembly. */
  sha256: string;
  publishedAt: Date;
}

/** What the agent wrote where the server's `crl-verify` reads it. */
export interface AppliedCrl {
  number: string;
  sha256: string;
  at: Date;
  agentId: string;
}

/**
 * CRLs for agent-served endpoints. A 20,000-entry CRL is ~1.3 MB, over DynamoDB's 400 KB item limit,
 * so one CRL is kept as several items written together; readers see all of it or none of it.
 */
export interface CrlDistribution {
  /** Stores the CRL as the endpoint's newest; refuses (returns false) when a higher number is already there. */
  publish(endpoint: string, crl: { number: bigint; pem: string }, at: Date): Promise<boolean>;
  /** The newest published CRL, or the one with `number`; undefined when absent or incomplete. */
  get(endpoint: string, number?: bigint): Promise<DistributedCrl | undefined>;
  /** The newest published number and its SHA-256 alone: one small read for an agent that looks every few seconds. */
  newest(endpoint: string): Promise<Pick<DistributedCrl, 'number' | 'sha256'> | undefined>;
  reportApplied(endpoint: string, applied: AppliedCrl): Promise<void>;
  applied(endpoint: string): Promise<AppliedCrl | undefined>;
}

/** One session the bot asked the agent to end; it stays queued until the agent has carried it out. */
export interface SessionKill {
  id: string;
  endpoint: string;
  connectionId: string;
  commonName?: string;
  requestedBy: string;
  requestedAt: Date;
  /** `gone`: the session had already ended when the agent looked. */
  state: 'pending' | 'done' | 'gone';
  attempts: number;
  lastError?: string;
  settledAt?: Date;
}

export interface SessionKillQueue {
  request(
    endpoint: string,
    sessions: { connectionId: string; commonName?: string }[],
    actor: string,
    at: Date,
  ): Promise<SessionKill[]>;
  /** Pending kills for the endpoint, oldest first. */
  pending(endpoint: string): Promise<SessionKill[]>;
  get(endpoint: string, ids: string[]): Promise<SessionKill[]>;
  settle(kill: SessionKill, outcome: { state: 'done' | 'gone' }, at: Date): Promise<void>;
  /** A failed attempt: the kill stays pending, with the error, for the next round. */
  failed(kill: SessionKill, error: string, at: Date): Promise<void>;
}

/** What an agent reports about one endpoint it serves. */
export interface AgentEndpointReport {
  endpoint: string;
  health: EndpointHealth;
  sessions: VpnSession[];
  /** The sessions did not all fit in the heartbeat's item: `sessions` is only part of what the server has. */
  sessionsTruncated?: boolean;
  /** The client configuration profiles are built from (`remote`, cipher…), as the agent's config says. */
  clientConfiguration?: string;
  /** The tls-crypt key every profile must carry (it is in every profile anyway). */
  tlsCryptKey?: string;
  serverCertificate?: ServerCertificate;
  /** Whether this agent holds the endpoint's lease (acts) or stands by; absent from agents that do not say. */
  acting?: boolean;
  /** The agent's latest unwrapped-handshake probe of the server on its host (services/doctor-tls-crypt.ts). */
  handshakeProbe?: HandshakeProbeReport;
  /**
   * While `health` is not ok: since when, by the agent's clock (the first unhealthy heartbeat since it started). On a
   * standby report: since when the agent has failed to take the lease (`leaseError`).
   */
  unhealthySince?: Date;
  /** On a standby report: why the agent could not take the lease (e.g. its role may not write it), not another holder. */
  leaseError?: string;
}

export interface AgentHeartbeat {
  agentId: string;
  host: string;
  version: string;
  at: Date;
  endpoints: AgentEndpointReport[];
  /** How far the agent's clock ran ahead of its time reference (negative: behind), hourly; absent when unmeasured. */
  clockSkewS?: number;
}

export interface AgentRegistry {
  beat(heartbeat: AgentHeartbeat): Promise<void>;
  list(): Promise<AgentHeartbeat[]>;
  /**
   * The newest heartbeat that reports `endpoint` as its acting agent (never a standby's, which reads nothing from it).
   */
  serving(endpoint: string): Promise<AgentHeartbeat | undefined>;
  /** Records whether the admins were told the agent is silent; true when that changed (so each change is told once). */
  markSilent(agentId: string, silent: boolean): Promise<boolean>;
  /**
   * Records whether the admins were told of a fault about the agents (`subject`: an endpoint that cannot serve,
   * an agent's clock); true when that changed, so of two runners that see the same change one tells.
   */
  markAlerted(subject: string, alerted: boolean): Promise<boolean>;
}

/** Where the agent's lines go: the terminal or journald on the VPN host, a list in tests. */
export interface AgentLog {
  info(message: string): void;
  /** Something refused or skipped that a person may want to know about. */
  warn(message: string): void;
  /** A fault: something the agent should have done and could not. */
  error(message: string, error?: unknown): void;
}

/** Where a handshake probe goes: a self-hosted server's port on this host. */
export interface HandshakeTarget {
  host: string;
  port: number;
  proto: 'udp' | 'tcp';
}

/**
 * What a server did with an OpenVPN handshake sent without the tls-crypt/tls-auth wrapping: `silent` (dropped),
 * `answered` (it started TLS for anyone), `nothing-listening` (ICMP port unreachable / connection refused).
 */
export type HandshakeOutcome =
  | {
      outcome: 'silent';
      waitedMs: number;
      /** TCP: the server closed the connection without a word. */
      hungUp?: boolean;
    }
  | { outcome: 'answered'; opcode: number }
  | { outcome: 'nothing-listening' }
  | { outcome: 'error'; detail: string };

/** One unwrapped handshake sent to a server on this host: doctor's proof that tls-crypt is enforced. */
export interface HandshakeProbe {
  /** Loopback or one of this machine's own addresses, decided without DNS: only those are probed. */
  isThisHost(host: string): boolean;
  probe(target: HandshakeTarget): Promise<HandshakeOutcome>;
}

/** A probe's result as the agent reports it in its heartbeat, for the bot's doctor. */
export interface HandshakeProbeReport {
  at: Date;
  target: HandshakeTarget;
  result: HandshakeOutcome;
}

/** What the flood watch last told the admins about one endpoint (services/flood-watch.ts). */
export interface FloodState {
  endpoint: string;
  /** Bumped by every change; a save names the version it read, so of two runners one alerts. */
  version: number;
  active: boolean;
  sources: string[];
  ratePerHour: number;
  failingNames: string[];
  alertedAt: Date;
}

export interface FloodStateStore {
  get(endpoint: string): Promise<FloodState | undefined>;
  /**
   * Conditional on the stored version being `state.version - 1` (absent for 1); false when another runner moved first.
   */
  save(state: FloodState): Promise<boolean>;
}

/** Where the offboarding reconcile's pass through users.list stands, so a run cut short is resumed, not restarted. */
export interface ReconcileProgress {
  /** When the pass began; it names the pass. */
  startedAt: Date;
  /** The users.list page to ask for next; none before the first page and after the last. */
  cursor?: string;
  /** Pages handled so far in this pass. */
  pages: number;
  /** Set when every holder was checked (or left, reported, to the next pass). */
  finishedAt?: Date;
}

export interface ReconcileProgressStore {
  /** The pass under way, or the last one finished. */
  load(): Promise<ReconcileProgress | undefined>;
  /** After a page is handled: the pass's new place, and the holders that page listed. */
  savePage(progress: ReconcileProgress, listed: string[]): Promise<void>;
  /** Every holder the saved pages of the pass begun at `startedAt` listed. */
  listed(startedAt: Date): Promise<Set<string>>;
  save(progress: ReconcileProgress): Promise<void>;
}

/** One agent acts for an endpoint at a time; another takes over when the lease lapses. */
export interface EndpointLease {
  acquire(endpoint: string, holder: string, ttlMs: number): Promise<boolean>;
  release(endpoint: string, holder: string): Promise<void>;
}

/**
 * Connection attempts an agent parsed from its server's log, shipped hour by hour so `/vpn logs` and the
 * flood rules work where the bot cannot read the file. The agent re-ships the current hour as it grows.
 */
export interface ShippedLog {
  ship(
    endpoint: string,
    hour: Date,
    read: Pick<ConnectionLogRead, 'attempts' | 'events' | 'malformed' | 'ignored' | 'truncated'>,
  ): Promise<void>;
  read(endpoint: string, from: Date, to: Date): Promise<ConnectionLogRead>;
}
