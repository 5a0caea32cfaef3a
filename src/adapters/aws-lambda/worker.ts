import { logError, startInvocationLog } from '../../log';
import type { Job } from '../../ports';
import { perContainer } from '../../per-container';

/**
 * Invoked asynchronously by the Slack function with one job: issue, revoke, publish, Home refresh.
 * A worker that cannot start (e.g. the CA secret is unreadable) tells the person (`cannotStart`), then
 * fails the invocation so the deployment's worker-errors alarm reaches the admins (async retries are 0).
 */
export function workerHandler(
  build: () => Promise<{ run(job: Job): Promise<void> }>,
  cannotStart: (job: Job) => Promise<void>,
) {
  const worker = perContainer(build);
  return async (job: Job, context?: unknown): Promise<void> => {
    startInvocationLog(context, { job_type: job.type, job_id: job.id });
    let ready: Awaited<ReturnType<typeof worker>>;
    try {
      ready = await worker();
    } catch (error) {
      logError('worker could not start', error);
      await cannotStart(job);
      throw error;
    }
    await ready.run(job);
  };
}
