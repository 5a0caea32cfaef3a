import { connectDatabase } from '../adapters/dynamodb/client';
import { DynamoDbIdempotencyStore } from '../adapters/dynamodb/idempotency-store';
import { workerHandler } from '../adapters/aws-lambda/worker';
import { LambdaJobQueue } from '../adapters/aws-lambda/job-queue';
import { Config, loadConfig } from '../config';
import { logError } from '../log';
import type { Job } from '../ports';
import { respond } from '../slack/respond';
import { errorMessage } from '../slack/views/errors';
import { createWorker } from './worker';

/** The table is named in the environment, so a worker whose CA or Slack secret failed can still reach it. */
async function releaseClaim(key: string): Promise<void> {
  const config = loadConfig(process.env);
  await new DynamoDbIdempotencyStore(
    connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION }),
  ).release(key);
}

/** The person is told nothing was done: their next click is a new request (see slack/listeners/actions/button.ts). */
async function nothingDone(job: Job): Promise<void> {
  if (job.claim)
    await releaseClaim(job.claim).catch((releaseError: unknown) =>
      logError('could not release a click claim', releaseError),
    );
  if ('responseUrl' in job && job.responseUrl) {
    await respond(
      job.responseUrl,
      errorMessage(
        'The VPN bot could not start its worker, so nothing was done. An admin needs to look at the worker logs.',
      ),
    ).catch(() => undefined);
  }
}

/** The worker function: the CA-holding side of the bot, built on the first job. */
export function createWorkerHandler(loadConfig: () => Promise<Config>) {
  return workerHandler(async () => {
    const config = await loadConfig();
    return createWorker(
      config,
      connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION }),
      {},
      // Itself: a job that needs another window hands itself on (slack/jobs/settle-prompt.ts).
      config.WORKER_FUNCTION_NAME ? new LambdaJobQueue(config.WORKER_FUNCTION_NAME) : undefined,
    );
  }, nothingDone);
}
