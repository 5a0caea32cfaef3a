import { randomUUID } from 'node:crypto';
import { AccessRequest, MAX_REASON_LENGTH, REQUEST_LIFETIME_MS, requestStateAt } from '../domain/access';
import { VpnChatopsError } from '../domain/errors';
import type { AccessRequestStore, AdminDirectory, AuditLog } from '../ports';
import { refuse, requireAdmin } from './authorization';
import { EligibilityDeps, eligibilityOf } from './eligibility';
import { checkHours } from './grants';

export interface AccessRequestDeps extends EligibilityDeps {
  requests: AccessRequestStore;
  admins: AdminDirectory;
  audit: AuditLog;
  maxHours: number;
}

function requestsOpen(deps: AccessRequestDeps): void {
  if (deps.policy !== 'request')
    throw new VpnChatopsError(
      'FORBIDDEN',
      `Access requests are closed: this bot's ISSUE_POLICY is now "${deps.policy}". Nothing was changed.`,
    );
}

/** The "Request VPN access" modal, submitted: stored, audited, and left for the admins (the caller tells them). */
export async function requestAccess(
  deps: AccessRequestDeps,
  input: { requester: string; device?: string; hours: number; reason: string },
): Promise<AccessRequest> {
  requestsOpen(deps);
  checkHours(input.hours, deps.maxHours);
  const reason = input.reason.trim();
  if (!reason || reason.length > MAX_REASON_LENGTH)
    throw new VpnChatopsError('FORBIDDEN', `Say why you need access, in at most ${MAX_REASON_LENGTH} characters.`);
  if ((await eligibilityOf(deps, input.requester)).eligible)
    throw new VpnChatopsError('CONFLICT', 'You may already issue a certificate: use `/vpn issue`, no request needed.');
  const now = deps.clock.now();
  const waiting = await deps.requests.latest(input.requester);
  if (waiting && requestStateAt(waiting, now) === 'pending')
    throw new VpnChatopsError(
      'CONFLICT',
      `You already have a request waiting for the admins (until ${waiting.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC).`,
    );
  const request: AccessRequest = {
    id: randomUUID(),
    requester: input.requester,
    ...(input.device !== undefined && { device: input.device }),
    hours: input.hours,
    reason,
    state: 'pending',
    createdAt: now,
    expiresAt: new Date(now.getTime() + REQUEST_LIFETIME_MS),
  };
  await deps.requests.create(request);
  await deps.audit.append({
    actor: input.requester,
    action: 'access.request',
    target: input.requester,
    outcome: 'success',
    at: now,
    details: { request: request.id, hours: request.hours, reason, ...(request.device && { device: request.device }) },
  });
  return request;
}

/** Closes a request whose 24 h ran out, once, with its audit entry; undefined when it was decided meanwhile. */
export async function expireOne(
  deps: Pick<AccessRequestDeps, 'requests' | 'audit'>,
  request: AccessRequest,
  actor: string,
  now: Date,
): Promise<AccessRequest | undefined> {
  const expired = await deps.requests.expire(request.id, now);
  if (expired)
    await deps.audit.append({
      actor,
      action: 'access.request.expire',
      target: request.requester,
      outcome: 'success',
      at: now,
      details: { request: request.id },
    });
  return expired;
}

/**
 * An admin's Approve or Deny, checked at the moment it runs: still an admin, still ISSUE_POLICY=request, not
 * their own request, and the request still pending and within its 24 h. The store's conditional write makes
 * two admins clicking at once one decision. The caller issues the certificate for an approval.
 */
export async function decideRequest(
  deps: AccessRequestDeps,
  input: { actor: string; id: string; approve: boolean; hours?: number },
): Promise<AccessRequest> {
  const what = input.approve ? 'approve access requests' : 'deny access requests';
  await requireAdmin(deps, input.actor, what);
  requestsOpen(deps);
  const request = await deps.requests.get(input.id);
  if (!request) throw new VpnChatopsError('NOT_FOUND', 'That access request no longer exists. Nothing was changed.');
  if (request.requester === input.actor)
    await refuse(
      deps.audit,
      { actor: input.actor, what: input.approve ? 'approve their own request' : 'deny their own request' },
      'Nobody approves their own request, admins included: another VPN admin must decide it.',
    );
  const now = deps.clock.now();
  const state = requestStateAt(request, now);
  if (state === 'expired') {
    if (request.state === 'pending') await expireOne(deps, request, 'system:expiry', now);
    throw new VpnChatopsError(
      'CONFLICT',
      `This request expired ${request.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, 24 h after it was made. Nothing was changed; <@${request.requester}> can ask again.`,
    );
  }
  if (state !== 'pending') throw alreadyDecided(request);
  const hours = input.approve ? (input.hours ?? request.hours) : undefined;
  if (hours !== undefined) checkHours(hours, deps.maxHours);
  const decided = await deps.requests.decide(request.id, {
    state: input.approve ? 'approved' : 'denied',
    by: input.actor,
    at: now,
    hours,
  });
  if (!decided) {
    const current = await deps.requests.get(request.id);
    throw current && current.state !== 'pending'
      ? alreadyDecided(current)
      : new VpnChatopsError('CONFLICT', 'This request could not be decided; nothing was changed. Try again.');
  }
  await deps.audit.append({
    actor: input.actor,
    action: input.approve ? 'access.request.approve' : 'access.request.deny',
    target: request.requester,
    outcome: 'success',
    at: now,
    details: {
      request: request.id,
      ...(hours !== undefined && { hours }),
      ...(request.device && { device: request.device }),
    },
  });
  return decided;
}

const alreadyDecided = (request: AccessRequest) =>
  new VpnChatopsError(
    'CONFLICT',
    `This request was already ${request.state}${request.decidedBy ? ` by <@${request.decidedBy}>` : ''}. Nothing was changed.`,
  );

/** The daily job's sweep: requests nobody decided within 24 h are closed and audited. Returns how many. */
export async function expireLapsedRequests(
  deps: Pick<AccessRequestDeps, 'requests' | 'audit' | 'clock'>,
  actor: string,
): Promise<number> {
  const now = deps.clock.now();
  let expired = 0;
  for (const request of await deps.requests.lapsed(now)) if (await expireOne(deps, request, actor, now)) expired++;
  return expired;
}

/**
 * An approval whose certificate could not be issued goes back to the admins, audited with why, so nothing claims
 * a profile that never arrived; false when the request changed meanwhile.
 */
export async function reopenFailedApproval(
  deps: Pick<AccessRequestDeps, 'requests' | 'audit' | 'clock'>,
  request: AccessRequest,
  why: string,
): Promise<boolean> {
  const reopened = await deps.requests.reopen(request);
  await deps.audit.append({
    actor: request.decidedBy ?? 'system:access-requests',
    action: 'access.request.approve',
    target: request.requester,
    outcome: 'failure',
    at: deps.clock.now(),
    details: { request: request.id, error: why.slice(0, 500), reopened },
  });
  return reopened;
}
