import type { CertificateRecord } from '../domain/certificate';
import { messageOf } from '../domain/errors';
import { DAY_MS, MINUTE_MS } from '../domain/time';
import type { AuditLog, CertificateStore, Clock, ExpiryNotifier, IdempotencyStore, VpnEndpoint } from '../ports';
import { isTimeBoxed } from './time-boxed';

/**
 * How far back the sweep looks for certificates that ran out: missed runs are caught; older ones the daily sweep ends.
 */
export const EXPIRY_LOOKBACK_MS = DAY_MS;
/** Owners of time-boxed access hear this long before it ends, with an Extend button. */
export const ENDING_SOON_MS = 15 * MINUTE_MS;
/** Sessions ended per endpoint call, and per audit entry: an audit item stays small, a failed batch stays small. */
export const TERMINATE_BATCH = 100;
/** Claims outlive the certificate they warn about, so a warning is sent once. */
const WARNING_CLAIM_S = 2 * 86_400;

export interface ExpirySweepDeps {
  certificates: CertificateStore;
  audit: AuditLog;
  endpoints: VpnEndpoint[];
  clock: Clock;
  /** CERT_DAYS: a certificate issued for less is time-boxed, and is warned about before it ends. */
  certDays: number;
  /** "Sent once" claims for the warnings, across runners; without it (or a notifier) no warning is sent. */
  idempotency?: IdempotencyStore;
  notifier?: Pick<ExpiryNotifier, 'endingSoon'>;
}

export interface ExpiredSessions {
  endpoint: string;
  found: number;
  terminated: number;
  error?: string;
}

export interface ExpirySweepReport {
  /** Certificates that ran out within the lookback and are not revoked. */
  expired: number;
  sessions: ExpiredSessions[];
  /** Serials whose owner was told their access ends within ENDING_SOON_MS. */
  warned: string[];
  problems: string[];
}

/**
 * Every 5 minutes: end the live sessions of certificates that have run out (a VPN server checks a
 * certificate's dates at the handshake, not during a session), and warn the owners of time-boxed access
 * that ends within 15 minutes. Expired certificates need no CRL entry, so this never imports a CRL.
 * Each endpoint's sessions are listed once and matched by CN (each certificate has its own), then ended
 * in batches. Running it again finds nothing left to end: it is safe to repeat and to run twice at once.
 */
export async function sweepExpiry(deps: ExpirySweepDeps, actor = 'system:expiry'): Promise<ExpirySweepReport> {
  const now = deps.clock.now();
  // All of them, however many: the store has read them all anyway, and a CN costs a map entry. A cap would take the
  // same oldest ones every run and never reach those that just ran out, the ones with live sessions.
  const expired = await deps.certificates.expiring(new Date(now.getTime() - EXPIRY_LOOKBACK_MS), now);
  const byCn = new Map(expired.map((record) => [record.cn, record.serial]));
  const sessions = byCn.size
    ? await Promise.all(deps.endpoints.map((endpoint) => endExpiredSessions(endpoint, byCn, deps, actor)))
    : [];
  const problems = sessions.filter((step) => step.error).map((step) => `${step.endpoint}: ${step.error}`);
  const warned = await warnEndingSoon(deps, now, problems);
  return { expired: expired.length, sessions, warned, problems };
}

async function endExpiredSessions(
  endpoint: VpnEndpoint,
  byCn: ReadonlyMap<string, string>,
  deps: ExpirySweepDeps,
  actor: string,
): Promise<ExpiredSessions> {
  const step: ExpiredSessions = { endpoint: endpoint.key, found: 0, terminated: 0 };
  try {
    const doomed = (await endpoint.listSessions()).filter((session) => byCn.has(session.commonName));
    step.found = doomed.length;
    for (let start = 0; start < doomed.length; start += TERMINATE_BATCH) {
      const batch = doomed.slice(start, start + TERMINATE_BATCH);
      let terminated: string[] = [];
      let error: string | undefined;
      try {
        terminated = await endpoint.terminateSessions(
          batch.map((session) => session.connectionId),
          actor,
        );
      } catch (failure) {
        error = messageOf(failure);
      }
      step.terminated += terminated.length;
      const cns = [...new Set(batch.map((session) => session.commonName))];
      await deps.audit.append({
        actor,
        action: 'sessions.expire',
        target: endpoint.key,
        outcome: terminated.length === batch.length ? 'success' : terminated.length ? 'partial' : 'failure',
        at: deps.clock.now(),
        details: {
          cns,
          serials: cns.map((cn) => byCn.get(cn)),
          found: batch.length,
          terminated: terminated.length,
          ...(error && { error }),
        },
      });
    }
    // What is left is ended by the next run, 5 minutes later: the certificates are still expired then.
    if (step.terminated < step.found)
      step.error = `${step.found - step.terminated} of ${step.found} expired sessions could not be ended; the next run tries again`;
  } catch (error) {
    step.error = messageOf(error);
  }
  return step;
}

/** Once per certificate, even with two runners: the claim is taken before the DM, and given back if the DM fails. */
async function warnEndingSoon(deps: ExpirySweepDeps, now: Date, problems: string[]): Promise<string[]> {
  const { idempotency, notifier } = deps;
  if (!idempotency || !notifier?.endingSoon) return [];
  const warned: string[] = [];
  const soon = await deps.certificates.expiring(now, new Date(now.getTime() + ENDING_SOON_MS));
  for (const record of soon.filter((candidate) => warnable(candidate, deps.certDays))) {
    const key = `access-ending:${record.serial}`;
    try {
      if (!(await idempotency.claim(key, WARNING_CLAIM_S))) continue;
      try {
        await notifier.endingSoon(record, now);
        warned.push(record.serial);
      } catch (error) {
        await idempotency.release(key).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      problems.push(`warning for ${record.serial} not sent (the next run tries again): ${messageOf(error)}`);
    }
  }
  return warned;
}

/** Time-boxed, active (not paused), someone's, and not already extended into a replacement. */
const warnable = (record: CertificateRecord, certDays: number) =>
  record.status === 'active' && record.slackId !== undefined && !record.replacedBy && isTimeBoxed(record, certDays);
