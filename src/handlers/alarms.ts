import { loadLambdaConfig } from '../adapters/aws-lambda/config';
import { createAlarmHandler } from '../composition/alarms-lambda';

/** SNS (CloudWatch alarms) → here → ADMIN_CHANNEL_ID. */
export const handler = createAlarmHandler(() => loadLambdaConfig());
