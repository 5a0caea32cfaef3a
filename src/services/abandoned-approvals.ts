import type { Approval } from '../domain/approval';
import type { ApprovalStore, AuditLog, Clock } from '../ports';

/** The store returns the oldest page of undecided logins; a storm's worth of pages is closed in one call, no more. */
const MAX_PAGES = 50;

export interface AbandonedApprovalDeps {
  approvals: Pick<ApprovalStore, 'unclosed' | 'decide'>;
  audit: AuditLog;
  clock: Clock;
}

export interface AbandonedApprovalScope {
  /** Approvals whose deadline is before this; the rest may still have a handler waiting on them. */
  before: Date;
  /** Only this endpoint's logins, for a caller that knows no handler of that endpoint is waiting any more. */
  endpointId?: string;
  actor: string;
}

/**
 * A login whose waiting handler went away (npm start stopped mid-login, a crash) stays PENDING with no
 * audit entry, and the Home does not list it. Each one is closed as EXPIRED (the same conditional write as
 * a deadline, so a decision that got there first stands) and audited, so the trail says what happened.
 * Page after page, oldest first, while a page closes any: a closed login leaves the undecided ones the store pages.
 * Each login is tried once per call, even if a page brings it back.
 */
export async function closeAbandonedApprovals(
  deps: AbandonedApprovalDeps,
  scope: AbandonedApprovalScope,
): Promise<Approval[]> {
  const closed: Approval[] = [];
  const tried = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const before = closed.length;
    await closePage(deps, scope, tried, closed);
    if (closed.length === before) break;
  }
  return closed;
}

async function closePage(
  deps: AbandonedApprovalDeps,
  scope: AbandonedApprovalScope,
  tried: Set<string>,
  closed: Approval[],
): Promise<void> {
  const candidates = (await deps.approvals.unclosed(scope.before)).filter(
    (approval) =>
      !tried.has(approval.id) && (scope.endpointId === undefined || approval.request.endpointId === scope.endpointId),
  );
  for (const approval of candidates) {
    tried.add(approval.id);
    const now = deps.clock.now();
    if (!(await deps.approvals.decide(approval.id, 'EXPIRED', scope.actor, now))) continue;
    closed.push(approval);
    await deps.audit.append({
      actor: scope.actor,
      action: 'approval.decide',
      target: approval.cn,
      outcome: 'refused',
      at: now,
      details: {
        reason: 'abandoned',
        approval: approval.id,
        endpoint: approval.request.endpointId,
        connection: approval.request.connectionId,
        publicIp: approval.request.publicIp,
        requestedAt: approval.requestedAt.toISOString(),
      },
    });
  }
}
