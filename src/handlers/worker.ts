import { loadLambdaConfig } from '../adapters/aws-lambda/config';
import { createWorkerHandler } from '../composition/worker-lambda';

/** The Slack function → here (asynchronous invoke), with one job: issue, revoke, publish, Home refresh. */
export const handler = createWorkerHandler(() => loadLambdaConfig());
