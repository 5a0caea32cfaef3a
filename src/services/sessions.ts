import { effectiveStatus } from '../domain/certificate';
import type { AuditLog, CertificateStore, Clock, VpnEndpoint } from '../ports';
import { sleep } from '../domain/time';
import { messageOf } from '../domain/errors';

/** What ending the sessions on one endpoint did: reported per endpoint, never thrown. */
export interface SessionStep {
  endpoint: string;
  terminated: number;
  error?: string;
}

const ATTEMPTS = 3;

/** Terminate every live session whose CN is in `cns`, retrying a few times; report rather than throw. */
export async function terminateSessionsOf(
  endpoint: VpnEndpoint,
  cns: ReadonlySet<string>,
  deps: { audit: AuditLog; actor: string; clock: Clock; retryDelayMs?: number },
): Promise<SessionStep> {
  let lastError = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const doomed = (await endpoint.listSessions()).filter((session) => cns.has(session.commonName));
      const terminated = doomed.length
        ? await endpoint.terminateSessions(
            doomed.map((s) => s.connectionId),
            deps.actor,
          )
        : [];
      if (doomed.length) {
        await deps.audit.append({
          actor: deps.actor,
          action: 'sessions.terminate',
          target: endpoint.key,
          outcome: terminated.length === doomed.length ? 'success' : 'partial',
          at: deps.clock.now(),
          details: {
            cns: [...new Set(doomed.map((s) => s.commonName))],
            terminated: terminated.length,
            found: doomed.length,
          },
        });
      }
      if (terminated.length === doomed.length) return { endpoint: endpoint.key, terminated: terminated.length };
      lastError = `${doomed.length - terminated.length} of ${doomed.length} sessions could not be terminated`;
    } catch (error) {
      lastError = messageOf(error);
    }
    if (attempt < ATTEMPTS) await sleep((deps.retryDelayMs ?? 500) * attempt);
  }
  await deps.audit.append({
    actor: deps.actor,
    action: 'sessions.terminate',
    target: endpoint.key,
    outcome: 'failure',
    at: deps.clock.now(),
    details: { error: lastError },
  });
  return { endpoint: endpoint.key, terminated: 0, error: lastError };
}

/**
 * The daily safety net: any live session whose CN has no active certificate (revoked, suspended,
 * or unknown) is terminated. The database is the truth, so a termination that failed at revoke
 * time needs no queue to be retried.
 */
export async function sweepSessions(
  endpoint: VpnEndpoint,
  deps: { certificates: CertificateStore; audit: AuditLog; clock: Clock; actor: string },
): Promise<SessionStep> {
  try {
    const sessions = await endpoint.listSessions();
    const unwanted = new Set<string>();
    for (const cn of new Set(sessions.map((s) => s.commonName))) {
      const record = await deps.certificates.byActiveCn(cn);
      if (!record || effectiveStatus(record, deps.clock.now()) !== 'active') unwanted.add(cn);
    }
    if (unwanted.size === 0) return { endpoint: endpoint.key, terminated: 0 };
    return terminateSessionsOf(endpoint, unwanted, deps);
  } catch (error) {
    return { endpoint: endpoint.key, terminated: 0, error: messageOf(error) };
  }
}
