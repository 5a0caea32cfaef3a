import { requestStateAt } from '../domain/access';
import type { AccessRequestStore, AuditLog, Clock, GrantStore } from '../ports';
import { expireOne } from './access-requests';

/**
 * Someone else's revoke of a member (an admin, `vpnctl`, offboarding) also ends what would let them straight back
 * in: their grant, and a request still waiting for the admins. Each is audited under the revoking actor.
 */
export async function endEligibility(
  deps: { grants?: GrantStore; requests?: AccessRequestStore; audit: AuditLog; clock: Clock },
  slackId: string,
  actor: string,
): Promise<void> {
  const now = deps.clock.now();
  if (await deps.grants?.end(slackId))
    await deps.audit.append({
      actor,
      action: 'access.grant',
      target: slackId,
      outcome: 'success',
      at: now,
      details: { ended: true },
    });
  const waiting = await deps.requests?.latest(slackId);
  if (deps.requests && waiting && requestStateAt(waiting, now) === 'pending')
    await expireOne({ requests: deps.requests, audit: deps.audit }, waiting, actor, now);
}
