import { CertificateRecord } from '../domain/certificate';
import { VpnChatopsError, messageOf } from '../domain/errors';
import { RevocationReason, RevocationTarget, revokingReason } from '../domain/revocation';
import type { CrlStep, RevocationReport } from '../domain/revocation-report';
import { MaintenanceWindow, isInWindow, nextWindowStart } from '../domain/window';
import type { AuditLog, CertificateStore, Clock, CrlStateStore, VpnEndpoint } from '../ports';
import { CrlPublisher } from './publish-crl';
import { terminateSessionsOf } from './sessions';
import { DAY_MS } from '../domain/time';

export interface CrlPolicy {
  mode: 'immediate' | 'window';
  window: MaintenanceWindow;
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
    if (!record)
      throw new VpnChatopsError(
        'NOT_FOUND',
        `No certificate has serial ${target.serial}; \`vpnctl list\` shows the serials.`,
      );
    return [record];
  }
  const records = await certificates.byUser(target.slackId);
  if (records.length === 0) throw new VpnChatopsError('NOT_FOUND', `${target.slackId} has no certificates.`);
  return records;
}

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

/**
 * Ends access three ways: (a) the database gate, at once; (b) live sessions on every endpoint;
 * (c) a new CRL on every endpoint, now or in the maintenance window. A certificate's sessions are
 * ended only once (a) holds for it. Only finding the targets and recording the CRL request throw
 * (nothing has changed then); every later failure is reported, and the rest still runs.
 *
 * Convergent: a target found already revoked (by an earlier run that failed half-way, or by someone
 * else) still has its sessions ended and, while no CRL lists it, a CRL published. Running the same
 * revocation again after any failure finishes the job.
 */
export async function revoke(deps: RevokeDeps, request: RevokeRequest): Promise<RevocationReport> {
  // Every revocation passes here (vpnctl, Slack, renewals): none may write an entry that leaves the certificate
  // working.
  revokingReason(request.reason);
  const records = await findTargets(deps.certificates, request.target);
  const report: RevocationReport = { revoked: [], alreadyRevoked: [], failed: [], sessions: [], crl: [] };
  const fresh = records.filter((record) => record.status !== 'revoked');
  const already = records.filter((record) => record.status === 'revoked');
  // Ask for the CRL before touching the certificates: if anything below fails half-way, the request is
  // already on record and the next publish or the daily job lists these serials.
  if (fresh.length)
    await Promise.all(
      deps.endpoints.map((endpoint) =>
        deps.publisher.request(
          endpoint.key,
          fresh.map((r) => r.serial),
        ),
      ),
    );
  const now = deps.clock.now();
  for (const record of fresh) {
    if ((await markOne(deps, request, record, now, report)) === 'already') already.push(record);
  }
  report.alreadyRevoked = already.map((record) => record.serial);

  const cns = await cnsToEnd(deps.certificates, report.revoked, already);
  if (cns.size) {
    report.sessions = await Promise.all(
      deps.endpoints.map((endpoint) =>
        terminateSessionsOf(endpoint, cns, { audit: deps.audit, actor: request.actor, clock: deps.clock }).catch(
          (error: unknown) => ({ endpoint: endpoint.key, terminated: 0, error: messageOf(error) }),
        ),
      ),
    );
  }
  const serials = [...report.revoked, ...already].map((record) => record.serial);
  report.crl = (
    await Promise.all(
      deps.endpoints.map(async (endpoint): Promise<CrlStep | undefined> => {
        try {
          const ticket = await crlTicket(deps, endpoint, report.revoked.length > 0, serials);
          return ticket === undefined ? undefined : await publishPerPolicy(deps, endpoint, request, ticket);
        } catch (error) {
          return { endpoint: endpoint.key, outcome: 'failed', error: messageOf(error) };
        }
      }),
    )
  ).filter((step): step is CrlStep => step !== undefined);
  return report;
}

/** Step (a) for one certificate, recorded in `report`; `already` when someone else revoked it first. */
async function markOne(
  deps: RevokeDeps,
  request: RevokeRequest,
  record: CertificateRecord,
  now: Date,
  report: RevocationReport,
): Promise<'revoked' | 'already' | 'failed'> {
  const { certificates, audit } = deps;
  let revoked: CertificateRecord | undefined;
  try {
    revoked = await certificates.markRevoked(record.serial, {
      revokedAt: now,
      reason: request.reason,
      actor: request.actor,
    });
  } catch (error) {
    // A write that failed after the status changed still revoked the certificate: report what holds, not what was
    // tried.
    const after = await certificates.get(record.serial).catch(() => undefined);
    if (after?.status !== 'revoked') {
      report.failed.push({ serial: record.serial, cn: record.cn, step: 'revoke', error: messageOf(error) });
      return 'failed';
    }
    revoked = after.revokedBy === request.actor && after.revokedAt?.getTime() === now.getTime() ? after : undefined;
  }
  if (!revoked) return 'already';
  report.revoked.push({ serial: revoked.serial, cn: revoked.cn, notAfter: revoked.notAfter });
  try {
    await audit.append({
      actor: request.actor,
      action: 'certificate.revoke',
      target: record.slackId ?? record.serial,
      outcome: 'success',
      at: now,
      details: { serial: record.serial, cn: record.cn, reason: request.reason },
    });
  } catch (error) {
    report.failed.push({ serial: record.serial, cn: record.cn, step: 'audit', error: messageOf(error) });
  }
  return 'revoked';
}

/**
 * The CNs whose sessions end: every target revoked now, except a CN that an active certificate
 * bears again (a re-issue for the same device). A lookup that fails counts as no such certificate:
 * a revoked certificate's session must not survive.
 */
async function cnsToEnd(
  certificates: CertificateStore,
  revoked: { cn: string }[],
  already: { cn: string }[],
): Promise<Set<string>> {
  const cns = new Set(revoked.map((record) => record.cn));
  for (const cn of new Set(already.map((record) => record.cn))) {
    if (!cns.has(cn) && !(await certificates.byActiveCn(cn).catch(() => undefined))) cns.add(cn);
  }
  return cns;
}

/**
 * The ticket this revocation waits for on `endpoint`, or none when a CRL there already lists every target.
 * A publish that read the first requests before these certificates were marked revoked left them off its
 * CRL yet counted those tickets served. Tickets taken after marking are served only by a CRL that lists
 * them, in every mode: a deferred or queued revocation stays outstanding until one does.
 */
async function crlTicket(
  deps: RevokeDeps,
  endpoint: VpnEndpoint,
  marked: boolean,
  serials: string[],
): Promise<number | undefined> {
  // Nothing revoked, nothing to list: on AWS an import would only reset every session.
  if (serials.length === 0) return undefined;
  if (marked) return deps.publisher.request(endpoint.key);
  const record = await deps.crlState.getEndpoint(endpoint.key);
  if (record && record.requested > record.served) return record.requested;
  // `pending` keeps a revoked serial until a published CRL lists it.
  const unlisted = serials.filter((serial) => !record || record.pending.includes(serial));
  return unlisted.length ? deps.publisher.request(endpoint.key, unlisted) : undefined;
}

async function publishPerPolicy(
  deps: RevokeDeps,
  endpoint: VpnEndpoint,
  request: RevokeRequest,
  ticket: number,
): Promise<CrlStep> {
  const { actor } = request;
  const now = deps.clock.now();
  const windowMode = deps.policy.mode === 'window';
  if ((windowMode && !isInWindow(deps.policy.window, now)) || request.crl === 'queued') {
    // Live sessions are already ended; the import, which resets every AWS session, waits for the
    // window, or for a queued revocation, for the daily job (which serves outstanding requests).
    const until = windowMode ? nextWindowStart(deps.policy.window, now) : new Date(now.getTime() + DAY_MS);
    await deps.audit.append({
      actor,
      action: 'crl.publish',
      target: endpoint.key,
      outcome: 'deferred',
      at: now,
      details: { until: until.toISOString(), ...(request.crl === 'queued' && { queued: true }) },
    });
    return { endpoint: endpoint.key, outcome: 'deferred', until };
  }
  return deps.publisher.serve(endpoint, actor, ticket);
}
