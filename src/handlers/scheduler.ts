import { connectDatabase } from '../adapters/dynamodb/client';
import { createSchedulerHandler } from '../adapters/aws-lambda/scheduler';
import { createAdmin } from '../composition/worker';
import { loadLambdaConfig } from './config';

/** EventBridge Scheduler → here, with {"task": "daily"}: the daily job (CRL renewal, sweep, reminders…) and the CRL metric. */
export const handler = createSchedulerHandler(async () => {
  const config = await loadLambdaConfig();
  return (await createAdmin(config, connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION }))).admin;
});
