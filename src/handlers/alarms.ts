import { createAlarmHandler } from '../adapters/aws-lambda/alarms';
import { loadLambdaConfig } from './config';

/** SNS (CloudWatch alarms) → here → ADMIN_CHANNEL_ID. */
export const handler = createAlarmHandler(() => loadLambdaConfig());
