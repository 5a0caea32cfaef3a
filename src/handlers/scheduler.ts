import { loadLambdaConfig } from '../adapters/aws-lambda/config';
import { createSchedulerHandler } from '../composition/scheduler-lambda';

/**
 * EventBridge Scheduler → here, with {"task": "daily"}: the daily job (CRL renewal, sweep, reminders…) and the CRL
 * metric.
 */
export const handler = createSchedulerHandler(() => loadLambdaConfig());
