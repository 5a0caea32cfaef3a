import type { Grant } from '../domain/access';
import { formatDuration } from '../domain/duration';
import { VpnChatopsError } from '../domain/errors';
import { HOUR_MS } from '../domain/time';
import type { AdminDirectory, AuditLog, Clock, GrantStore } from '../ports';
import { refuse, requireAdmin } from './authorization';

export interface GrantDeps {
  grants: GrantStore;
  admins: AdminDirectory;
  audit: AuditLog;
  clock: Clock;
  maxHours: number;
}

export function checkHours(hours: number, maxHours: number): void {
  if (!Number.isInteger(hours) || hours < 1)
    throw new VpnChatopsError(
      'FORBIDDEN',
      `${hours} hours is not a duration: use e.g. 8h, 3d or 2w. Nothing was changed.`,
    );
  if (hours > maxHours)
    throw new VpnChatopsError(
      'FORBIDDEN',
      `${formatDuration({ hours })} is longer than access may last here: at most ${formatDuration({ hours: maxHours })} (MAX_ACCESS_HOURS). Nothing was changed.`,
    );
}

/**
 * `/vpn grant @user 3d [reason]`: the person may issue for themselves until the grant runs out, whatever ISSUE_POLICY
 * says.
 */
export async function grantAccess(
  deps: GrantDeps,
  input: { actor: string; slackId: string; hours: number; reason?: string },
): Promise<Grant> {
  await requireAdmin(deps, input.actor, 'grant VPN access');
  // As with requests: an admin outside the issuing group gets in through another admin's decision.
  if (input.slackId === input.actor)
    await refuse(
      deps.audit,
      { actor: input.actor, what: 'grant themselves VPN access' },
      'Nobody grants themselves access, admins included: ask another VPN admin.',
    );
  checkHours(input.hours, deps.maxHours);
  const now = deps.clock.now();
  const grant: Grant = {
    slackId: input.slackId,
    grantedBy: input.actor,
    grantedAt: now,
    until: new Date(now.getTime() + input.hours * HOUR_MS),
    ...(input.reason !== undefined && { reason: input.reason }),
  };
  await deps.grants.put(grant);
  await deps.audit.append({
    actor: input.actor,
    action: 'access.grant',
    target: input.slackId,
    outcome: 'success',
    at: now,
    details: { hours: input.hours, until: grant.until.toISOString(), ...(input.reason && { reason: input.reason }) },
  });
  return grant;
}
