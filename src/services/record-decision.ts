import { Approval, isThumbsUp } from '../domain/approval';
import type { CertificateRecord } from '../domain/certificate';
import type { ApprovalNotifier, ApprovalStore, AuditLog, CertificateStore, Clock } from '../ports';
import type { ApprovalPolicy } from './decide-connection';
import { sleep } from '../domain/time';

export interface RecordDecisionDeps {
  approvals: ApprovalStore;
  certificates: CertificateStore;
  audit: AuditLog;
  clock: Clock;
  notifier: Pick<ApprovalNotifier, 'alertAdmins' | 'settle'>;
  policy: Pick<ApprovalPolicy, 'coolDownMs'>;
  /**
   * An approved login with a renewal's new certificate: the old one it replaces can be retired.
   * Only the owner's approval counts (a remembered login needs one first), so this is the moment.
   */
  onReplacementUsed?: (replacement: CertificateRecord) => Promise<void>;
}

export type Answer = 'approve' | 'not-me';
export type Recorded = 'approved' | 'denied' | 'ignored';

/** A button can be clicked before the prompt is linked to its approval: wait a moment for the link. */
async function withMessage(deps: RecordDecisionDeps, approval: Approval): Promise<Approval> {
  for (let attempt = 0, current = approval; ; attempt++) {
    if ((current.channel && current.ts) || attempt >= 30) return current;
    await sleep(50);
    current = (await deps.approvals.get(approval.id)) ?? current;
  }
}

/** Best effort: a missed signal only means the old certificate is retired by the daily job after its grace period. */
async function replacementUsed(deps: RecordDecisionDeps, approval: Approval): Promise<void> {
  if (!deps.onReplacementUsed) return;
  try {
    const certificate = await deps.certificates.get(approval.serial);
    if (!certificate?.replaces) return;
    // Only the first approved login after a renewal finds the old certificate still live.
    const old = await deps.certificates.get(certificate.replaces);
    if (old && old.status !== 'revoked') await deps.onReplacementUsed(certificate);
  } catch {
    // The login is approved either way; see above.
  }
}

/**
 * A reaction counts only as a 👍, by the owner, on that approval's own message, while it is pending.
 * A quick 👍 can beat the write that links the prompt to its approval (the prompt is posted first,
 * then linked): on a DM, look again for a moment before concluding it is not an approval prompt.
 */
export async function recordReaction(
  deps: RecordDecisionDeps,
  reaction: { user: string; name: string; channel: string; ts: string },
): Promise<Recorded> {
  if (!isThumbsUp(reaction.name)) return 'ignored';
  const now = deps.clock.now();
  for (let attempt = 0; ; attempt++) {
    const decided = await deps.approvals.decideByMessage(reaction.channel, reaction.ts, reaction.user, 'APPROVED', now);
    if (decided !== 'unlinked') return decided ? settled(deps, decided, reaction.user, 'approve', now) : 'ignored';
    if (attempt >= 30 || !reaction.channel.startsWith('D')) return 'ignored';
    await sleep(50);
  }
}

/** The Approve / Not me buttons: the same rules, looked up by approval id. */
export async function recordAnswer(
  deps: RecordDecisionDeps,
  answer: { approvalId: string; user: string; answer: Answer },
): Promise<Recorded> {
  const approval = await deps.approvals.get(answer.approvalId);
  if (!approval || approval.slackId !== answer.user) return 'ignored';
  return record(deps, approval, answer.user, answer.answer);
}

async function record(deps: RecordDecisionDeps, approval: Approval, user: string, answer: Answer): Promise<Recorded> {
  const now = deps.clock.now();
  const status = answer === 'approve' ? 'APPROVED' : 'DENIED';
  if (!(await deps.approvals.decide(approval.id, status, user, now))) {
    // A "Not me" written before its pause failed: the owner's next click finishes it (the pause is idempotent).
    if (answer === 'not-me' && approval.status === 'DENIED' && approval.decidedBy === user) {
      await pause(deps, approval, now);
      return 'denied';
    }
    return 'ignored';
  }
  return settled(deps, await withMessage(deps, approval), user, answer, now);
}

/** What keeps whoever holds a certificate out after its owner said "Not me". */
async function pause(deps: RecordDecisionDeps, approval: Approval, now: Date): Promise<void> {
  await deps.certificates.setSuspended(approval.serial, true);
  await deps.approvals.coolDown(approval.serial, new Date(now.getTime() + deps.policy.coolDownMs));
}

/** After the decision is written: the prompt rewritten, the audit entry, and for "Not me" the pause and the alert. */
async function settled(
  deps: RecordDecisionDeps,
  approval: Approval,
  user: string,
  answer: Answer,
  now: Date,
): Promise<Recorded> {
  // The pause first: nothing after the decision (Slack, the audit) may stand between "Not me" and it.
  if (answer !== 'approve') await pause(deps, approval, now);
  // The bot rewrites the prompt itself, so the connect handler can answer the VPN without waiting on Slack.
  await deps.notifier.settle(approval, answer === 'approve' ? 'APPROVED' : 'DENIED').catch(() => undefined);
  await deps.audit.append({
    actor: user,
    action: 'approval.decide',
    target: approval.cn,
    outcome: answer === 'approve' ? 'success' : 'refused',
    at: now,
    details: {
      approval: approval.id,
      answer,
      publicIp: approval.request.publicIp,
      platform: approval.request.platform,
    },
  });
  if (answer === 'approve') {
    await replacementUsed(deps, approval);
    return 'approved';
  }
  // "Not me": someone else holds this certificate (paused above). Tell the admins, with what we know.
  await deps.notifier
    .alertAdmins({ kind: 'not-me', slackId: user, cn: approval.cn, serial: approval.serial, request: approval.request })
    .catch(() => undefined);
  return 'denied';
}
