import type { JobContext, JobOf } from './context';

/** A renewal's replacement has connected (its owner approved the login): retire what it replaces. */
export async function retireReplaced(context: JobContext, job: JobOf<'retire-replaced'>): Promise<void> {
  await context.admin.retireReplaced(job.serial, 'used');
}
