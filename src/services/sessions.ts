import { type CertificateRecord, effectiveStatus } from '../domain/certificate';
import type { AuditLog, CertificateStore, Clock, VpnEndpoint } from '../ports';
import { sleep } from '../domain/time';
import { messageOf } from '../domain/errors';
import type { SessionStep } from '../domain/revocation-report';

const ATTEMPTS = 3;

/**
 * Up to this many distinct CNs online, each is looked up by CN (2 strongly consistent reads, 8 at a time); above,
 * the active certificates are listed once instead. At 20,000 certificates the listing costs about what 1,000 CNs'
 * lookups do in read units, and far fewer requests.
 */
export const LOOK_UP_CNS_UP_TO = 1_000;
const LOOKUPS_IN_FLIGHT = 8;

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
    const online = [...new Set(sessions.map((s) => s.commonName))];
    const wanted = await activeAmong(online, deps);
    const unwanted = new Set(online.filter((cn) => !wanted.has(cn)));
    if (unwanted.size === 0) return { endpoint: endpoint.key, terminated: 0 };
    return terminateSessionsOf(endpoint, unwanted, deps);
  } catch (error) {
    return { endpoint: endpoint.key, terminated: 0, error: messageOf(error) };
  }
}

/** Which of `cns` an active certificate bears now, by lookup or by one listing, whichever costs less for that many. */
async function activeAmong(
  cns: string[],
  deps: { certificates: CertificateStore; clock: Clock },
): Promise<Set<string>> {
  const isActive = (record: CertificateRecord | undefined): record is CertificateRecord =>
    record !== undefined && effectiveStatus(record, deps.clock.now()) === 'active';
  if (cns.length > LOOK_UP_CNS_UP_TO)
    return new Set((await deps.certificates.list({ status: 'active' })).filter(isActive).map((record) => record.cn));
  const active = new Set<string>();
  let next = 0;
  const work = async () => {
    while (next < cns.length) {
      const cn = cns[next++];
      if (isActive(await deps.certificates.byActiveCn(cn))) active.add(cn);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_IN_FLIGHT, cns.length) }, work));
  return active;
}
