import { connectDatabase } from '../adapters/dynamodb/client';
import { loadConfig } from '../config';
import type { Job } from '../slack/jobs';
import { createWorker } from '../slack/runtime';
import type { SlackWorker } from '../slack/worker';

let worker: Promise<SlackWorker> | undefined;

/** Invoked asynchronously by the Slack function with one job: issue, revoke, publish, Home refresh. */
export const handler = async (job: Job): Promise<void> => {
  worker ??= (async () => {
    const config = loadConfig();
    return createWorker(config, connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION }));
  })();
  await (await worker).run(job);
};
