import type { JobContext, JobOf } from './context';

/** A user_change that may mean someone left: the use case decides, revokes or reports, and tells the admins. */
export async function offboard(context: JobContext, job: JobOf<'offboard'>): Promise<void> {
  const outcome = await context.admin.offboard(job.member, job.teamId);
  if (outcome.outcome !== 'ignored')
    context.log?.(`offboarding ${job.member.slackId}: ${outcome.outcome} (${outcome.cause})`);
}
