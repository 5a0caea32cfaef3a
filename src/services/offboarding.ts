import { createHash } from 'node:crypto';
import { type CertificateRecord, effectiveStatus } from '../domain/certificate';
import { messageOf } from '../domain/errors';
import type { Deadline } from '../domain/deadline';
import { sleep } from '../domain/time';
import { ListingCursorRefused, type MemberProfile } from '../domain/member';
import type {
  AuditLog,
  CertificateStore,
  Clock,
  IdempotencyStore,
  MemberDirectory,
  OffboardingCause,
  OffboardingNotice,
  OffboardingNotifier,
} from '../ports';
import type { RevokeRequest } from './revoke';
import type { RevocationReport } from '../domain/revocation-report';

/** Who ends access when Slack says someone left: what the audit trail and the CRL entries name. */
export const OFFBOARDING_ACTOR = 'system:offboarding';

/**
 * RFC 5280 §5.3.1: the subject's relationship with the organization changed; the key is not known to be compromised.
 */
const OFFBOARDING_REASON = 'affiliationChanged';

/**
 * One alert per member and set of live certificates: a replayed event, a second user_change for the same
 * deactivation (Slack sends one per profile change) or the daily reconcile finding the same member again
 * stays quiet. A new certificate makes a new set, so it is handled again.
 */
const HANDLED_TTL_SECONDS = 30 * 86_400;

export interface ReconcilePace {
  /** users.info lookups in flight. */
  concurrency: number;
  /** Between the starts of two users.info lookups. */
  intervalMs: number;
  /** Between the starts of two users.list pages. */
  pageIntervalMs: number;
  /** Members a users.list page asks for: Slack recommends at most 200. */
  pageSize: number;
  /** With more holders than this, the reconcile lists the workspace instead of looking each holder up. */
  listAbove: number;
}

/**
 * users.info is Tier 4 (100+ calls a minute per workspace): 4 in flight, one started every 650 ms, about 92 a
 * minute, so H holders cost H calls and 0.65·H s. users.list is Tier 2 (20+ a minute): a page of 200 every 3 s,
 * so a workspace of W accounts (deactivated ones included) costs ⌈W/200⌉ calls and 3·⌈W/200⌉ s, whoever holds
 * a certificate (less when every holder turns up before the last page).
 *
 * The reconcile does not know W before listing, so it chooses on H. Up to 100 holders, users.info takes at most
 * 100 calls and 65 s, which the listing matches in calls only for a workspace under 20,000 accounts, and in time
 * only under about 4,300. Above 100, the listing takes fewer calls in any workspace of up to 200·H accounts: 125
 * pages (about 6¼ minutes) for 20,000 holders in a workspace of 25,000, where users.info would take 20,000 calls
 * and 3.6 hours.
 */
export const RECONCILE_PACE: ReconcilePace = {
  concurrency: 4,
  intervalMs: 650,
  pageIntervalMs: 3_000,
  pageSize: 200,
  listAbove: 100,
};

export interface OffboardingPolicy {
  /** auto: revoke and tell the admins; report: only tell them; off: do nothing. */
  mode: 'auto' | 'report' | 'off';
  /** Members turned guests (single- or multi-channel) lose access too. */
  guests: boolean;
}

/** Why a member change is none of offboarding's business. */
export type IgnoredBecause =
  'off' | 'bot' | 'other-team' | 'still-a-member' | 'no-live-certificate' | 'already-handled';

export type OffboardingOutcome =
  | { outcome: 'ignored'; because: IgnoredBecause }
  | { outcome: 'revoked'; cause: OffboardingCause; report: RevocationReport }
  | { outcome: 'reported'; cause: OffboardingCause; certificates: CertificateRecord[] };

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
  pace?: Partial<ReconcilePace>;
  /** When the reconcile must stop: it checks no one after it, and says how many holders it did not reach. */
  deadline?: Deadline;
}

/** A users.list pass that an earlier run began: the listing goes on where it stopped (services/offboarding-pass.ts). */
export interface ListingResume {
  /** The page the earlier run did not reach; none before the first page. */
  cursor?: string;
  /** The earlier runs read the listing to its end: only the holders it did not list are left. */
  listingEnded: boolean;
  /** Holders the earlier runs found in the listing, and checked: not checked again in this pass. */
  listed: ReadonlySet<string>;
  /** After each page is handled, before the next is asked for: where the next run starts, and whom the page listed. */
  pageDone(nextCursor: string | undefined, listed: string[]): Promise<void>;
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
  /** How Slack was asked (none when there was no one to check), and in how many calls. */
  lookup?: 'users.info' | 'users.list';
  calls: number;
  /** Holders not checked this run, never offboarded for it: the next run or their user_change event catches them. */
  unchecked: number;
  /** Why the run ended before checking everyone: the deadline, or a users.list page that failed. */
  stopped?: string;
  /** Slack refused the listing's saved cursor: the pass cannot go on from its place, a fresh one must start. */
  cursorRefused?: boolean;
}

/**
 * The daily catch-up for user_change events that never arrived: every holder of a live certificate is
 * checked against Slack and offboarded as the event would have been. Few holders are looked up one by one
 * (users.info); many are found in the workspace's listing (users.list). Either way the calls are paced
 * within the method's tier and stop at the deadline. One member's lookup or revocation failing is reported
 * and the others still run; a holder Slack said nothing about is never offboarded.
 */
export async function reconcileOffboarding(deps: ReconcileDeps, resume?: ListingResume): Promise<OffboardingSweep> {
  const sweep: OffboardingSweep = { checked: 0, revoked: [], reported: [], failed: [], calls: 0, unchecked: 0 };
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
  const pace = { ...RECONCILE_PACE, ...deps.pace };
  const homeTeam = await deps.members.team().catch(() => undefined);
  const check = async (member: MemberProfile) => {
    sweep.checked += 1;
    const outcome = await offboardMember(deps, member, { homeTeam, source: 'reconcile' });
    if (outcome.outcome === 'revoked') sweep.revoked.push(member.slackId);
    if (outcome.outcome === 'reported') sweep.reported.push(member.slackId);
  };
  if (holders.length <= pace.listAbove) {
    sweep.lookup = 'users.info';
    await lookUpEach(deps, holders, pace, sweep, check);
    return sweep;
  }
  sweep.lookup = 'users.list';
  const unseen = new Set(holders.filter((slackId) => !resume?.listed.has(slackId)));
  const unlisted = resume?.listingEnded ? [...unseen] : await listWorkspace(deps, unseen, pace, sweep, check, resume);
  // Not in the workspace's own listing (another team's member, an account gone for good): asked one by one.
  if (sweep.stopped) sweep.unchecked = unlisted.length;
  else await lookUpEach(deps, unlisted, pace, sweep, check);
  return sweep;
}

/** Whether the deadline leaves time to start a call `waitMs` from now. */
const timeFor = (deadline: Deadline | undefined, waitMs: number) =>
  deadline === undefined || deadline.remainingMs() > Math.max(0, waitMs);

/**
 * users.info for each of `ids`, `pace.concurrency` in flight, one started every `pace.intervalMs`, until the deadline.
 */
async function lookUpEach(
  deps: ReconcileDeps,
  ids: string[],
  pace: ReconcilePace,
  sweep: OffboardingSweep,
  check: (member: MemberProfile) => Promise<void>,
): Promise<void> {
  let next = 0;
  let nextStart = Date.now();
  const work = async () => {
    while (next < ids.length && !sweep.stopped) {
      const wait = nextStart - Date.now();
      if (!timeFor(deps.deadline, wait)) {
        sweep.stopped = `out of time after ${next} of ${ids.length} users.info lookups`;
        break;
      }
      const slackId = ids[next++];
      nextStart = Math.max(nextStart, Date.now()) + pace.intervalMs;
      if (wait > 0) await sleep(wait);
      try {
        sweep.calls += 1;
        await check(await deps.members.member(slackId));
      } catch (error) {
        sweep.failed.push({ slackId, error: messageOf(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(pace.concurrency, ids.length) }, work));
  sweep.unchecked += ids.length - next;
}

/**
 * users.list page by page, one every `pace.pageIntervalMs`, checking each holder as their page arrives, until
 * every holder was seen or the listing ends. A page that fails (after the WebClient's own retries) or the
 * deadline stops the listing: who was not seen yet is left for the next run rather than guessed at.
 * Returns the holders not seen.
 */
async function listWorkspace(
  deps: ReconcileDeps,
  unseen: Set<string>,
  pace: ReconcilePace,
  sweep: OffboardingSweep,
  check: (member: MemberProfile) => Promise<void>,
  resume?: ListingResume,
): Promise<string[]> {
  let cursor = resume?.cursor;
  let pages = 0;
  let nextStart = Date.now();
  do {
    const wait = nextStart - Date.now();
    if (!timeFor(deps.deadline, wait)) {
      sweep.stopped = `out of time after ${pages} pages of users.list`;
      break;
    }
    if (wait > 0) await sleep(wait);
    nextStart = Date.now() + pace.pageIntervalMs;
    let page: Awaited<ReturnType<MemberDirectory['page']>>;
    try {
      sweep.calls += 1;
      page = await deps.members.page({ cursor, limit: pace.pageSize });
    } catch (error) {
      sweep.stopped = `users.list page ${pages + 1} failed: ${messageOf(error)}`;
      if (error instanceof ListingCursorRefused) sweep.cursorRefused = true;
      break;
    }
    pages += 1;
    const listed: string[] = [];
    for (const member of page.members) {
      if (!unseen.delete(member.slackId)) continue;
      listed.push(member.slackId);
      await check(member).catch((error: unknown) =>
        sweep.failed.push({ slackId: member.slackId, error: messageOf(error) }),
      );
    }
    cursor = page.nextCursor;
    try {
      await resume?.pageDone(cursor, listed);
    } catch (error) {
      // Going on would leave the next run to read these pages again, and not know it: stop where it is known.
      sweep.stopped = `saving the listing's place after page ${pages} failed: ${messageOf(error)}`;
      break;
    }
  } while (cursor && unseen.size > 0);
  return [...unseen];
}
