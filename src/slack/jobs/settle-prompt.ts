import { MINUTE_MS } from '../../domain/time';
import type { JobContext, JobOf } from './context';

/** Within the worker's 5 minutes: a storm's last prompts wait this long for room under chat.update's limit. */
const SETTLE_WITHIN_MS = 4 * MINUTE_MS;

/** The prompt of a decided login rewritten to its final state, once Slack's limit has room for it. */
export async function settlePrompt(
  context: Pick<JobContext, 'approvals' | 'prompts'>,
  job: JobOf<'settle-prompt'>,
): Promise<void> {
  const approval = await context.approvals?.get(job.approvalId);
  if (!approval || !context.prompts) return;
  await context.prompts.settleBy(approval, job.status, new Date(Date.now() + SETTLE_WITHIN_MS));
}
