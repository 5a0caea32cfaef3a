import { HOUR_MS } from '../domain/time';
import type { ReconcileProgress, ReconcileProgressStore } from '../ports';
import { type OffboardingSweep, type ReconcileDeps, reconcileOffboarding } from './offboarding';

/**
 * A new pass starts this long after the last one started: once a day, with an hour's slack so an hourly
 * schedule (or a daily cron) does not slip a day when one run starts a few minutes early.
 */
export const PASS_EVERY_MS = 23 * HOUR_MS;

export interface OffboardingPassReport extends OffboardingSweep {
  /** This run went on with a pass an earlier run began, rather than starting one. */
  resumed: boolean;
  /** The pass checked every holder it could (true), or stopped and leaves the rest to the next run. */
  finished: boolean;
  /** The last pass finished less than PASS_EVERY_MS after it began: this run had nothing to do. */
  resting?: boolean;
  /** An unfinished pass this run gave up on, PASS_EVERY_MS or more after it began, to start a fresh one. */
  abandoned?: ReconcileProgress;
}

/**
 * The offboarding reconcile on its own schedule: a pass through users.list for 20,000 holders takes minutes of
 * Tier 2 pacing, more than one run may have, so each page's place is saved once it is handled and the next run
 * goes on from there, checking no one twice and skipping no one. Once the listing is read to its end, the holders
 * it did not list are looked up one by one, and the pass is over until PASS_EVERY_MS after it began.
 */
export async function continueOffboardingPass(
  deps: ReconcileDeps & { progress: ReconcileProgressStore },
): Promise<OffboardingPassReport> {
  const now = deps.clock.now();
  const last = await deps.progress.load();
  if (last?.finishedAt && now.getTime() - last.startedAt.getTime() < PASS_EVERY_MS)
    return { ...idle(), resumed: false, finished: true, resting: true };
  // A pass not over when the next is due is stuck (a page that keeps failing) or far behind: going on with it
  // would hold back every later pass, leavers whose user_change was missed keeping access, and its saved pages
  // expire after days. A fresh pass checks everyone again instead.
  const overdue = last !== undefined && !last.finishedAt && now.getTime() - last.startedAt.getTime() >= PASS_EVERY_MS;
  const resumed = last !== undefined && !last.finishedAt && !overdue;
  let progress: ReconcileProgress = resumed ? last : { startedAt: now, pages: 0 };
  const sweep = await reconcileOffboarding(deps, {
    cursor: progress.cursor,
    listingEnded: progress.pages > 0 && !progress.cursor,
    listed: resumed ? await deps.progress.listed(progress.startedAt) : new Set(),
    pageDone: async (cursor, listed) => {
      progress = { startedAt: progress.startedAt, pages: progress.pages + 1, ...(cursor && { cursor }) };
      await deps.progress.savePage(progress, listed);
    },
  });
  // Slack will never take that place again: the next run starts the listing from its first page.
  if (sweep.cursorRefused) await deps.progress.save({ startedAt: deps.clock.now(), pages: 0 });
  const finished = !sweep.stopped;
  if (finished) await deps.progress.save({ ...progress, cursor: undefined, finishedAt: deps.clock.now() });
  return { ...sweep, resumed, finished, ...(overdue && { abandoned: last }) };
}

const idle = (): OffboardingSweep => ({ checked: 0, revoked: [], reported: [], failed: [], calls: 0, unchecked: 0 });

/** What went wrong in a run, one line each, for the log: the next run or pass takes it up. */
export function passProblems(report: OffboardingPassReport): string[] {
  return [
    ...report.failed.map(
      (failure) => `offboarding check of ${failure.slackId}: ${failure.error} (checked again in the next pass)`,
    ),
    ...(report.abandoned
      ? [
          `offboarding pass begun ${report.abandoned.startedAt.toISOString()} never finished (${report.abandoned.pages} users.list pages read): a fresh pass started; leavers whose user_change was missed may have kept access meanwhile`,
        ]
      : []),
    ...(report.stopped
      ? [
          `offboarding reconcile stopped (${report.stopped}): ${report.unchecked} holders not checked yet, left to the next run, which ${report.cursorRefused ? 'starts a fresh pass' : 'goes on from there'}`,
        ]
      : []),
  ];
}
