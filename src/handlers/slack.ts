import { loadLambdaConfig } from '../adapters/aws-lambda/config';
import { createSlackLambdaHandler } from '../composition/slack-lambda';

/** Slack → Function URL → here: every /vpn command, button, modal and event. */
export const handler = createSlackLambdaHandler(() => loadLambdaConfig());
