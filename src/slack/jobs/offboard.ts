import type { JobContext, JobOf } from './context';

/**
 * A user_change that may mean someone left: the use case decides, revokes or reports, and tells the admins (who are the
 * record).
 */
export async function offboard(context: JobContext, job: JobOf<'offboard'>): Promise<void> {
  await context.admin.offboard(job.member, job.teamId);
}
