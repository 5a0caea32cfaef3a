import { isInWindow } from '../domain/window';
import type { CertificateAuthority } from '../pki/ca';
import { ParsedCrl, parseCrl } from '../pki/crl';
import type { AlertSink, AuditLog, CertificateStore, Clock, CrlStateStore, VpnEndpoint } from '../ports';
import { CrlPublisher } from './publish-crl';
import type { CrlPolicy } from './revoke';
import { messageOf } from '../domain/errors';
import { DAY_MS } from '../domain/time';
import type { PublishOutcome } from '../domain/revocation-report';

/** Alert once at each of these days left while renewal keeps failing; 0 means it has expired. */
export const ALERT_THRESHOLDS_DAYS = [14, 7, 3, 1, 0];
/** Below this, renew now even outside the maintenance window: a reset beats an expired CRL. */
export const URGENT_DAYS = 3;

/**
 * Below this many days left the daily job should long since have renewed the CRL: it renews at
 * `renewBeforeDays` (in window mode within a week of that), and starts alerting at 14 days. A CRL
 * this close to expiry means nobody is renewing it.
 */
export function overdueBelowDays(policy: { renewBeforeDays: number; publishMode: 'immediate' | 'window' }): number {
  const slack = policy.publishMode === 'window' ? 8 : 2;
  return Math.max(URGENT_DAYS, Math.min(ALERT_THRESHOLDS_DAYS[0], policy.renewBeforeDays - slack));
}

export interface RenewDeps {
  ca: CertificateAuthority;
  certificates: CertificateStore;
  crlState: CrlStateStore;
  audit: AuditLog;
  alerts: AlertSink;
  clock: Clock;
  publisher: CrlPublisher;
  policy: CrlPolicy;
  renewBeforeDays: number;
}

export interface RenewResult {
  endpoint: string;
  /** Days until the live CRL's nextUpdate before this run (negative: expired; undefined: none or unreadable). */
  daysLeft?: number;
  drift: string[];
  action: 'none' | 'waiting-for-window' | 'renewed' | 'failed';
  publish?: PublishOutcome;
  alerts: number[];
}

/** Why the live CRL is not what we last published, if it is not. */
async function findDrift(
  deps: RenewDeps,
  endpoint: VpnEndpoint,
  live: ParsedCrl | undefined,
  liveError: string | undefined,
): Promise<string[]> {
  if (liveError) return [`the live CRL could not be read: ${liveError}`];
  if (!live) return ['the endpoint has no CRL'];
  const drift: string[] = [];
  if (!live.signedBy?.signatureValid || !live.signedBy.issuerMatches)
    drift.push('the live CRL is not signed by our CA');
  const record = await deps.crlState.getEndpoint(endpoint.key);
  if (record?.crlNumber !== undefined && (live.number === undefined || live.number < BigInt(record.crlNumber))) {
    drift.push(`the live CRL is #${live.number ?? 'unnumbered'}, older than our last publish #${record.crlNumber}`);
  }
  const listed = new Set(live.revocations.map((r) => r.serial));
  // Revocations after our last publish are outstanding (e.g. deferred to the window), not drift.
  const lastPublish = record?.publishedAt ? new Date(record.publishedAt) : undefined;
  const missing = (await deps.certificates.revocationsForCrl(live.thisUpdate)).filter(
    (r) => !listed.has(r.serial) && (lastPublish === undefined || r.revokedAt < lastPublish),
  );
  if (missing.length) drift.push(`${missing.length} revoked certificate(s) are missing from the live CRL`);
  return drift;
}

/**
 * The daily job that makes seed 000 impossible: read each endpoint's live CRL back, renew it well
 * before nextUpdate (inside the maintenance window when there is time, at once when there is not),
 * repair drift, serve outstanding publish requests, and alert admins at 14/7/3/1 days left while
 * renewal keeps failing.
 */
export async function renewCrls(
  deps: RenewDeps,
  endpoints: VpnEndpoint[],
  actor = 'system:crl-renewal',
): Promise<RenewResult[]> {
  const results: RenewResult[] = [];
  for (const endpoint of endpoints) results.push(await renewOne(deps, endpoint, actor));
  return results;
}

async function renewOne(deps: RenewDeps, endpoint: VpnEndpoint, actor: string): Promise<RenewResult> {
  const now = deps.clock.now();
  let live: ParsedCrl | undefined;
  let liveError: string | undefined;
  try {
    const exported = await endpoint.exportCrl();
    live = exported.pem ? parseCrl(exported.pem, deps.ca) : undefined;
  } catch (error) {
    liveError = messageOf(error);
  }
  const daysLeft = live?.nextUpdate ? (live.nextUpdate.getTime() - now.getTime()) / DAY_MS : undefined;
  const drift = await findDrift(deps, endpoint, live, liveError);
  // Repaired in the database only: the live CRL already lists these, so they do not make a publish urgent.
  const recorded = live?.signedBy?.signatureValid
    ? await deps.publisher.recordLiveRevocations(endpoint.key, live, actor)
    : [];
  const record = await deps.crlState.getEndpoint(endpoint.key);
  const outstanding = record !== undefined && record.requested > record.served;
  const due = daysLeft === undefined || daysLeft < deps.renewBeforeDays;
  const urgent = daysLeft === undefined || daysLeft < URGENT_DAYS || drift.length > 0;
  const windowOpen = deps.policy.mode === 'immediate' || isInWindow(deps.policy.window, now);

  const result: RenewResult = { endpoint: endpoint.key, daysLeft, drift, action: 'none', alerts: [] };
  if (recorded.length)
    result.drift = [
      ...drift,
      `${recorded.length} serial(s) revoked on the live CRL were not revoked in the database: recorded as revoked again`,
    ];
  if (urgent || ((due || outstanding) && windowOpen)) {
    result.publish = await deps.publisher.publish(endpoint, actor);
    result.action =
      result.publish.outcome === 'published' || result.publish.outcome === 'coalesced' ? 'renewed' : 'failed';
    await deps.audit.append({
      actor,
      action: 'crl.renew',
      target: endpoint.key,
      outcome: result.action === 'failed' ? 'failure' : 'success',
      at: now,
      details: { daysLeft, drift, outcome: result.publish.outcome },
    });
  } else if (due || outstanding) {
    result.action = 'waiting-for-window';
  }

  // No readable CRL and no renewal either: treat it like an expired one, so admins hear about it.
  if (result.action !== 'renewed')
    result.alerts = await alertIfDue(
      deps,
      endpoint,
      daysLeft ?? 0,
      result,
      daysLeft === undefined ? (liveError ?? 'the endpoint has no CRL') : undefined,
    );
  return result;
}

async function alertIfDue(
  deps: RenewDeps,
  endpoint: VpnEndpoint,
  daysLeft: number,
  result: RenewResult,
  missing?: string,
): Promise<number[]> {
  const record = await deps.crlState.getEndpoint(endpoint.key);
  const already = new Set(record?.alerted ?? []);
  const crossed = ALERT_THRESHOLDS_DAYS.filter((threshold) => daysLeft <= threshold && !already.has(threshold));
  if (crossed.length === 0) return [];
  const threshold = Math.min(...crossed);
  const why =
    result.publish?.outcome === 'failed'
      ? ` Renewal failed: ${result.publish.error}`
      : record?.lastError
        ? ` Last error: ${record.lastError}`
        : '';
  const message = missing
    ? `The CRL on ${endpoint.key} is missing or unreadable (${missing}) and a new one could not be published. Run \`vpnctl crl publish\` and check the endpoint.${why}`
    : daysLeft <= 0
      ? `The CRL on ${endpoint.key} has EXPIRED: every VPN connection is refused until a new CRL is imported. Run \`vpnctl crl publish\` now.${why}`
      : `The CRL on ${endpoint.key} expires in ${daysLeft.toFixed(1)} days and has not been renewed. When it expires, every VPN connection is refused. Run \`vpnctl crl publish\` or check the endpoint.${why}`;
  await deps.alerts.send({
    level: threshold <= URGENT_DAYS ? 'critical' : 'warning',
    endpoint: endpoint.key,
    daysLeft,
    message,
  });
  await deps.crlState.recordAlerted(
    endpoint.key,
    [...already, ...crossed].sort((a, b) => b - a),
  );
  await deps.audit.append({
    actor: 'system:crl-renewal',
    action: 'crl.alert',
    target: endpoint.key,
    outcome: 'success',
    at: deps.clock.now(),
    details: { daysLeft, thresholds: crossed },
  });
  return crossed;
}
