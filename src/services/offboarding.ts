import { createHash } from 'node:crypto';
import { type CertificateRecord, effectiveStatus } from '../domain/certificate';
import { messageOf } from '../domain/errors';
import { sleep } from '../domain/time';
import type { MemberProfile } from '../domain/member';
import type { AuditLog, CertificateStore, Clock, IdempotencyStore, MemberDirectory } from '../ports';
import type { RevocationReport, RevokeRequest } from './revoke';

/** Who ends access when Slack says someone left: what the audit trail and the CRL entries name. */
export const OFFBOARDING_ACTOR = 'system:offboarding';

/** RFC 5280 §5.3.1: the subject's relationship with the organization changed; the key is not known to be compromised. */
const OFFBOARDING_REASON = 'affiliationChanged';

/**
 * One alert per member and set of live certificates: a replayed event, a second user_change for the same
 * deactivation (Slack sends one per profile change) or the daily reconcile finding the same member again
 * stays quiet. A new certificate makes a new set, so it is handled again.
 */
const HANDLED_TTL_SECONDS = 30 * 86_400;

/** users.info is Tier 4 (100+ calls a minute per workspace): 4 in flight, one started every 650 ms, about 92 a minute. */
export const RECONCILE_PACE = { concurrency: 4, intervalMs: 650 };

export interface OffboardingPolicy {
  /** auto: revoke and tell the admins; report: only tell them; off: do nothing. */
  mode: 'auto' | 'report' | 'off';
  /** Members turned guests (single- or multi-channel) lose access too. */
  guests: boolean;
}

export type OffboardingCause = 'deactivated' | 'guest';

/** Why a member change is none of offboarding's business. */
export type IgnoredBecause =
  'off' | 'bot' | 'other-team' | 'still-a-member' | 'no-live-certificate' | 'already-handled';

export type OffboardingOutcome =
  | { outcome: 'ignored'; because: IgnoredBecause }
  | { outcome: 'revoked'; cause: OffboardingCause; report: RevocationReport }
  | { outcome: 'reported'; cause: OffboardingCause; certificates: CertificateRecord[] };

/** What the admins are told; the admin channel in Slack. Never throws: the access has ended whatever it does. */
export interface OffboardingNotifier {
  offboarded(notice: OffboardingNotice & { report: RevocationReport }): Promise<void>;
  /** OFFBOARDING=report: the member still holds `certificates`, for an admin to revoke. */
  toReview(notice: OffboardingNotice & { certificates: CertificateRecord[] }): Promise<void>;
}

export interface OffboardingNotice {
  member: MemberProfile;
  cause: OffboardingCause;
  /** A user_change event, or the daily reconcile catching one that was missed. */
  source: 'event' | 'reconcile';
}

export interface OffboardingDeps {
  policy: OffboardingPolicy;
  certificates: CertificateStore;
  audit: AuditLog;
  idempotency: IdempotencyStore;
  notifier: OffboardingNotifier;
  clock: Clock;
  revoke(request: RevokeRequest): Promise<RevocationReport>;
}

/**
 * Whether this member's VPN access must end, and why. `homeTeam` is the bot's workspace; a member of
 * another (a Slack Connect partner) is theirs to offboard, and left alone when it is not known.
 */
export function offboardingCause(
  member: MemberProfile,
  policy: OffboardingPolicy,
  homeTeam?: string,
): { cause: OffboardingCause } | { ignored: IgnoredBecause } {
  if (policy.mode === 'off') return { ignored: 'off' };
  if (member.bot) return { ignored: 'bot' };
  if (homeTeam && member.teamId && member.teamId !== homeTeam) return { ignored: 'other-team' };
  if (member.deleted) return { cause: 'deactivated' };
  if (policy.guests && (member.restricted || member.ultraRestricted)) return { cause: 'guest' };
  return { ignored: 'still-a-member' };
}

const isLive = (record: CertificateRecord, now: Date) => ['active', 'suspended'].includes(effectiveStatus(record, now));

/**
 * Ends a departed member's access the way an admin's `/vpn revoke` does (the database gate, live
 * sessions, the CRL), as `system:offboarding`, audits it as `access.offboard` and tells the admins;
 * in report mode it only tells them. Runs once per member and set of live certificates.
 */
export async function offboardMember(
  deps: OffboardingDeps,
  member: MemberProfile,
  context: { homeTeam?: string; source: OffboardingNotice['source'] },
): Promise<OffboardingOutcome> {
  const decision = offboardingCause(member, deps.policy, context.homeTeam);
  if ('ignored' in decision) return { outcome: 'ignored', because: decision.ignored };
  const { cause } = decision;
  const now = deps.clock.now();
  const live = (await deps.certificates.byUser(member.slackId)).filter((record) => isLive(record, now));
  if (live.length === 0) return { outcome: 'ignored', because: 'no-live-certificate' };
  const serials = live.map((record) => record.serial).sort();
  const key = `offboard:${deps.policy.mode}:${member.slackId}:${createHash('sha256').update(serials.join(',')).digest('hex')}`;
  if (!(await deps.idempotency.claim(key, HANDLED_TTL_SECONDS)))
    return { outcome: 'ignored', because: 'already-handled' };
  const notice = { member, cause, source: context.source };
  try {
    if (deps.policy.mode === 'report') {
      await deps.audit.append({
        actor: OFFBOARDING_ACTOR,
        action: 'access.offboard',
        target: member.slackId,
        outcome: 'deferred',
        details: { cause, source: context.source, mode: 'report', serials },
      });
      await deps.notifier.toReview({ ...notice, certificates: live });
      return { outcome: 'reported', cause, certificates: live };
    }
    const report = await deps.revoke({
      target: { slackId: member.slackId },
      reason: OFFBOARDING_REASON,
      actor: OFFBOARDING_ACTOR,
    });
    const stillActive = report.failed.some((failure) => failure.step === 'revoke');
    // Revoking is convergent: the next event or reconcile finishes what this run left active.
    if (stillActive) await deps.idempotency.release(key);
    const problems = [
      ...report.failed.map((failure) => `${failure.serial}: ${failure.error}`),
      ...report.sessions.flatMap((step) => (step.error ? [`sessions on ${step.endpoint}: ${step.error}`] : [])),
      ...report.crl.flatMap((step) => (step.outcome === 'failed' ? [`CRL on ${step.endpoint}: ${step.error}`] : [])),
    ];
    await deps.audit.append({
      actor: OFFBOARDING_ACTOR,
      action: 'access.offboard',
      target: member.slackId,
      outcome: problems.length ? 'partial' : 'success',
      details: {
        cause,
        source: context.source,
        mode: 'auto',
        revoked: report.revoked.map((record) => record.serial),
        sessionsEnded: report.sessions.reduce((sum, step) => sum + step.terminated, 0),
        ...(problems.length > 0 && { problems }),
      },
    });
    await deps.notifier.offboarded({ ...notice, report });
    return { outcome: 'revoked', cause, report };
  } catch (error) {
    // Nothing (or not everything) happened: the next delivery or the daily reconcile must try again.
    await deps.idempotency.release(key).catch(() => undefined);
    throw error;
  }
}

export interface ReconcileDeps extends OffboardingDeps {
  members: MemberDirectory;
  pace?: { concurrency: number; intervalMs: number };
}

/**
 * A user_change event. Most are profile edits, ignored on the event's own facts with no call to Slack.
 * One that says someone left is checked against Slack now, because events can arrive late and out of
 * order (deactivated, then reactivated); when Slack does not answer, the event's facts stand.
 */
export async function offboardReported(
  deps: ReconcileDeps,
  reported: MemberProfile,
  homeTeam?: string,
): Promise<OffboardingOutcome> {
  const decision = offboardingCause(reported, deps.policy, homeTeam);
  if ('ignored' in decision) return { outcome: 'ignored', because: decision.ignored };
  const member = await deps.members.member(reported.slackId).catch(() => reported);
  return offboardMember(deps, member, { homeTeam, source: 'event' });
}

/** What the daily reconcile found: member ids per outcome, and the lookups that failed. */
export interface OffboardingSweep {
  checked: number;
  revoked: string[];
  reported: string[];
  failed: { slackId: string; error: string }[];
}

/**
 * The daily catch-up for user_change events that never arrived: every holder of a live certificate is
 * looked up in Slack, paced within users.info's tier, and offboarded as the event would have. One
 * member's lookup or revocation failing is reported and the others still run.
 */
export async function reconcileOffboarding(deps: ReconcileDeps): Promise<OffboardingSweep> {
  const sweep: OffboardingSweep = { checked: 0, revoked: [], reported: [], failed: [] };
  if (deps.policy.mode === 'off') return sweep;
  const now = deps.clock.now();
  const holders = [
    ...new Set(
      [
        ...(await deps.certificates.list({ status: 'active' })),
        ...(await deps.certificates.list({ status: 'suspended' })),
      ]
        .filter((record) => isLive(record, now))
        .flatMap((record) => (record.slackId ? [record.slackId] : [])),
    ),
  ];
  if (holders.length === 0) return sweep;
  const homeTeam = await deps.members.team().catch(() => undefined);
  const { concurrency, intervalMs } = deps.pace ?? RECONCILE_PACE;
  let next = 0;
  let nextStart = Date.now();
  const work = async () => {
    while (next < holders.length) {
      const slackId = holders[next++];
      const wait = nextStart - Date.now();
      nextStart = Math.max(nextStart, Date.now()) + intervalMs;
      if (wait > 0) await sleep(wait);
      try {
        const member = await deps.members.member(slackId);
        sweep.checked += 1;
        const outcome = await offboardMember(deps, member, { homeTeam, source: 'reconcile' });
        if (outcome.outcome === 'revoked') sweep.revoked.push(slackId);
        if (outcome.outcome === 'reported') sweep.reported.push(slackId);
      } catch (error) {
        sweep.failed.push({ slackId, error: messageOf(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, holders.length) }, work));
  return sweep;
}
