import { LambdaJobQueue } from '../adapters/aws-lambda/job-queue';
import { Database, connectDatabase, withCurrentDeadline } from '../adapters/dynamodb/client';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import type { JobQueue } from '../ports';
import { slackLambdaHandler } from '../slack/lambda';
import { approvalsInLogs } from './approvals-in-logs';
import { createListenerDeps } from './slack-ingress';

/** On Lambda, slow work goes to the worker function (WORKER_FUNCTION_NAME). */
function workerQueue(config: Config): JobQueue {
  if (!config.WORKER_FUNCTION_NAME)
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      'WORKER_FUNCTION_NAME is not set: the Slack function has nowhere to hand slow work.',
    );
  return new LambdaJobQueue(config.WORKER_FUNCTION_NAME);
}

/**
 * The Slack function: the listeners on DynamoDB, their calls bounded by the request's deadline, handing
 * slow work to `jobs` (tests and local runs keep the worker in-process). Built from slack-ingress, not
 * the composition root, so its bundle carries no PKI, EC2 or CA code.
 */
export function createSlackLambdaHandler(
  loadConfig: () => Config | Promise<Config>,
  jobs: (config: Config, db: Database) => Promise<JobQueue> | JobQueue = workerQueue,
) {
  return slackLambdaHandler(loadConfig, async (config, requestDeadline) => {
    const db = connectDatabase({
      tableName: config.TABLE_NAME,
      endpoint: config.DYNAMODB_ENDPOINT,
      region: config.AWS_REGION,
    });
    // Jobs keep the unbounded client: in-process ones (tests, local runs) outlive the request that queued them.
    const deps = createListenerDeps(config, withCurrentDeadline(db, requestDeadline), await jobs(config, db));
    return { ...deps, approvals: approvalsInLogs(deps.approvals) };
  });
}
