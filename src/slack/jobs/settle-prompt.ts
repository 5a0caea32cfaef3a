import { VpnChatopsError } from '../../domain/errors';
import { HOUR_MS, MINUTE_MS } from '../../domain/time';
import type { JobContext, JobOf } from './context';

/** Within the worker's 5 minutes: a storm's last prompts wait this long for room under chat.update's limit. */
const SETTLE_WITHIN_MS = 4 * MINUTE_MS;
/** The approval's item outlives its deadline by an hour; a prompt still unsettled by then is given up on. */
const HAND_ON_UNTIL_MS = HOUR_MS;

/**
 * The prompt of a decided login rewritten to its final state, once Slack's limit has room for it. A storm
 * can need more than one job's window (300 updates at 50 a minute take 6): a job whose window ends without
 * room hands itself on through the queue, so none is lost, until the approval is an hour old.
 */
export async function settlePrompt(
  context: Pick<JobContext, 'approvals' | 'prompts' | 'jobs' | 'log'>,
  job: JobOf<'settle-prompt'>,
): Promise<void> {
  const approval = await context.approvals?.get(job.approvalId);
  if (!approval || !context.prompts) return;
  // The store's status, not the job's: a decision made since (or the deadline passing) is what the prompt must say.
  if (approval.status === 'PENDING') return;
  try {
    await context.prompts.settleBy(approval, approval.status, new Date(Date.now() + SETTLE_WITHIN_MS));
  } catch (error) {
    if (!(error instanceof VpnChatopsError && error.code === 'SLACK_UNAVAILABLE') || !context.jobs) throw error;
    if (Date.now() - approval.requestedAt.getTime() > HAND_ON_UNTIL_MS) {
      context.log?.(`gave up settling the prompt of approval ${approval.id}: still no room after an hour`, error);
      return;
    }
    // A new job (no id): the worker runs each id once, and this one has run.
    await context.jobs.enqueue({ type: 'settle-prompt', approvalId: job.approvalId, status: approval.status });
  }
}
