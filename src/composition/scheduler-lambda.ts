import { connectDatabase } from '../adapters/dynamodb/client';
import { schedulerHandler } from '../adapters/aws-lambda/scheduler';
import type { Config } from '../config';
import { createAdmin } from './worker';

/** The scheduler function: the daily job on the worker's use cases, built on the first run. */
export function createSchedulerHandler(loadConfig: () => Promise<Config>) {
  return schedulerHandler(async () => {
    const config = await loadConfig();
    return (
      await createAdmin(
        config,
        connectDatabase({
          tableName: config.TABLE_NAME,
          endpoint: config.DYNAMODB_ENDPOINT,
          region: config.AWS_REGION,
        }),
      )
    ).admin;
  });
}
