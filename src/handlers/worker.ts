import { connectDatabase } from '../adapters/dynamodb/client';
import { DynamoDbIdempotencyStore } from '../adapters/dynamodb/idempotency-store';
import { loadConfig } from '../config';
import { loadLambdaConfig } from './config';
import { logError } from '../log';
import type { Job } from '../ports';
import { createWorker } from '../composition/worker';
import type { SlackWorker } from '../slack/jobs/worker';
import { respond } from '../slack/respond';
import { errorMessage } from '../slack/views/errors';

let worker: Promise<SlackWorker> | undefined;

/** The table is named in the environment, so a worker whose CA or Slack secret failed can still reach it. */
async function releaseClaim(key: string): Promise<void> {
  const config = loadConfig(process.env);
  await new DynamoDbIdempotencyStore(connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION })).release(key);
}

/**
 * Invoked asynchronously by the Slack function with one job: issue, revoke, publish, Home refresh.
 * A worker that cannot start (e.g. the CA secret is unreadable) tells the person, then fails the
 * invocation so the deployment's worker-errors alarm reaches the admins (async retries are 0).
 */
export const handler = async (job: Job): Promise<void> => {
  worker ??= (async () => {
    const config = await loadLambdaConfig();
    return createWorker(config, connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION }));
  })();
  let ready: SlackWorker;
  try {
    ready = await worker;
  } catch (error) {
    worker = undefined;
    logError('worker could not start', error);
    // The person is told nothing was done: their next click is a new request (see slack/actions/register.ts).
    if (job.claim) await releaseClaim(job.claim).catch((releaseError: unknown) => logError('could not release a click claim', releaseError));
    if ('responseUrl' in job && job.responseUrl) {
      await respond(job.responseUrl, errorMessage('The VPN bot could not start its worker, so nothing was done. An admin needs to look at the worker logs.')).catch(() => undefined);
    }
    throw error;
  }
  await ready.run(job);
};
