import { loadConfig } from '../config';
import { createSlackLambdaHandler } from '../slack/lambda';

/** Slack → Function URL → here: every /vpn command, button, modal and event. */
export const handler = createSlackLambdaHandler(() => loadConfig());
