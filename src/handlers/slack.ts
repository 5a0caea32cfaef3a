import { createSlackLambdaHandler } from '../slack/lambda';
import { loadLambdaConfig } from './config';

/** Slack → Function URL → here: every /vpn command, button, modal and event. */
export const handler = createSlackLambdaHandler(() => loadLambdaConfig());
