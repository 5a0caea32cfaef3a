import { CertificateRecord } from '../domain/certificate';
import { VpnChatopsError } from '../domain/errors';
import { RevocationReason, revokingReason } from '../domain/revocation';
import { MaintenanceWindow, isInWindow, nextWindowStart } from '../domain/window';
import type { AuditLog, CertificateStore, Clock, CrlStateStore, VpnEndpoint } from '../ports';
import { CrlPublisher, PublishOutcome } from './publish-crl';
import { terminateSessionsOf } from './sessions';

export type RevocationTarget = { slackId: string } | { serial: string };

export interface CrlPolicy {
  mode: 'immediate' | 'window';
  window: MaintenanceWindow;
}

export interface SessionStep {
  endpoint: string;
  terminated: number;
  error?: string;
}

export type CrlStep = PublishOutcome | { endpoint: string; outcome: 'deferred'; until: Date };

/** What happened to each of the three ways access ends. */
export interface RevocationReport {
  revoked: Pick<CertificateRecord, 'serial' | 'cn' | 'notAfter'>[];
  alreadyRevoked: string[];
  sessions: SessionStep[];
  crl: CrlStep[];
}

export interface RevokeDeps {
  certificates: CertificateStore;
  crlState: CrlStateStore;
  audit: AuditLog;
  clock: Clock;
  endpoints: VpnEndpoint[];
  publisher: CrlPublisher;
  policy: CrlPolicy;
}

async function findTargets(certificates: CertificateStore, target: RevocationTarget): Promise<CertificateRecord[]> {
  if ('serial' in target) {
    const record = await certificates.get(target.serial);
    if (!record) throw new VpnChatopsError('NOT_FOUND', `No certificate has serial ${target.serial}; \`vpnctl list\` shows the serials.`);
    return [record];
  }
  const records = await certificates.byUser(target.slackId);
  if (records.length === 0) throw new VpnChatopsError('NOT_FOUND', `${target.slackId} has no certificates.`);
  return records;
}

/**
 * Ends access three ways: (a) the database gate, at once; (b) live sessions on every endpoint;
 * (c) a new CRL on every endpoint, now or in the maintenance window. Step (a) must succeed before
 * anything else happens; (b) and (c) are reported per endpoint, and a failure there is retried by
 * the daily job (the session sweep and outstanding publish requests), never dropped.
 */
export interface RevokeRequest {
  target: RevocationTarget;
  reason: RevocationReason;
  actor: string;
  /**
   * `queued` leaves the CRL import to the daily job (in window mode, to the window): for routine
   * revocations such as a renewed certificate's retirement, which on AWS must not reset everyone's
   * session on their own. The database gate and the session kill still act at once. Default `policy`.
   */
  crl?: 'policy' | 'queued';
}

export async function revoke(deps: RevokeDeps, request: RevokeRequest): Promise<RevocationReport> {
  // Every revocation passes here (vpnctl, Slack, renewals): none may write an entry that leaves the certificate working.
  revokingReason(request.reason);
  const { certificates, audit, clock } = deps;
  const records = await findTargets(certificates, request.target);
  const report: RevocationReport = { revoked: [], alreadyRevoked: [], sessions: [], crl: [] };
  const fresh = records.filter((record) => record.status !== 'revoked');
  report.alreadyRevoked = records.filter((record) => record.status === 'revoked').map((record) => record.serial);
  // Ask for the CRL before touching the certificates: if anything below fails half-way, the request is
  // already on record and the next publish or the daily job lists these serials.
  const tickets = fresh.length
    ? await Promise.all(deps.endpoints.map((endpoint) => deps.publisher.request(endpoint.key, fresh.map((r) => r.serial))))
    : undefined;
  const now = clock.now();
  for (const record of fresh) {
    const revoked = await certificates.markRevoked(record.serial, { revokedAt: now, reason: request.reason, actor: request.actor });
    if (!revoked) {
      report.alreadyRevoked.push(record.serial);
      continue;
    }
    report.revoked.push({ serial: revoked.serial, cn: revoked.cn, notAfter: revoked.notAfter });
    await audit.append({
      actor: request.actor,
      action: 'certificate.revoke',
      target: record.slackId ?? record.serial,
      outcome: 'success',
      at: now,
      details: { serial: record.serial, cn: record.cn, reason: request.reason },
    });
  }
  if (report.revoked.length) {
    const cns = new Set(report.revoked.map((r) => r.cn));
    report.sessions = await Promise.all(deps.endpoints.map((endpoint) => terminateSessionsOf(endpoint, cns, { audit, actor: request.actor, clock })));
  }
  // A publish that read the first requests before these certificates were marked revoked left them off its
  // CRL yet counted those tickets served. Tickets taken now, after marking, are served only by a CRL that
  // lists them, in every mode: a deferred or queued revocation stays outstanding until one does.
  const confirmed = tickets && (await Promise.all(deps.endpoints.map((endpoint) => deps.publisher.request(endpoint.key))));
  // A retry after a half-finished revocation finds nothing new to revoke, but still serves what is outstanding.
  report.crl = (
    await Promise.all(deps.endpoints.map((endpoint, i) => publishPerPolicy(deps, endpoint, request, confirmed?.[i])))
  ).filter((step): step is CrlStep => step !== undefined);
  return report;
}

const DAY_MS = 86_400_000;

async function publishPerPolicy(deps: RevokeDeps, endpoint: VpnEndpoint, request: RevokeRequest, ticket: number | undefined): Promise<CrlStep | undefined> {
  const { actor } = request;
  const record = ticket === undefined ? await deps.crlState.getEndpoint(endpoint.key) : undefined;
  const target = ticket ?? (record && record.requested > record.served ? record.requested : undefined);
  if (target === undefined) return undefined;
  const now = deps.clock.now();
  const windowMode = deps.policy.mode === 'window';
  if ((windowMode && !isInWindow(deps.policy.window, now)) || request.crl === 'queued') {
    // Live sessions are already ended; the import, which resets every AWS session, waits for the
    // window, or for a queued revocation, for the daily job (which serves outstanding requests).
    const until = windowMode ? nextWindowStart(deps.policy.window, now) : new Date(now.getTime() + DAY_MS);
    await deps.audit.append({ actor, action: 'crl.publish', target: endpoint.key, outcome: 'deferred', at: now, details: { until: until.toISOString(), ...(request.crl === 'queued' && { queued: true }) } });
    return { endpoint: endpoint.key, outcome: 'deferred', until };
  }
  return deps.publisher.serve(endpoint, actor, target);
}
