import type { AgentLog, AuditLog, CertificateStore, Clock, VpnEndpoint } from '../../ports';
import { sweepSessions } from '../sessions';
import type { SessionStep } from '../../domain/revocation-report';

export interface SessionSweepDeps {
  certificates: CertificateStore;
  audit: AuditLog;
  clock: Clock;
  actor: string;
  log: AgentLog;
}

/**
 * The daily safety net (services/sessions.ts) on the endpoints this agent acts for, through their local management
 * interface.
 */
export async function sweepLocally(deps: SessionSweepDeps, endpoints: readonly VpnEndpoint[]): Promise<SessionStep[]> {
  const steps = await Promise.all(endpoints.map((endpoint) => sweepSessions(endpoint, deps)));
  for (const step of steps) {
    if (step.error) deps.log.error(`${step.endpoint}: the session sweep failed: ${step.error}`);
    else if (step.terminated > 0)
      deps.log.info(
        `${step.endpoint}: the session sweep ended ${step.terminated} session(s) without an active certificate`,
      );
  }
  return steps;
}
