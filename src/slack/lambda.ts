import { AsyncLocalStorage } from 'node:async_hooks';
import { AwsLambdaReceiver } from '@slack/bolt';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { connectDatabase, withCurrentDeadline } from '../adapters/dynamodb/client';
import { Deadline } from '../domain/deadline';
import { createSlackApp } from './app';
import { LambdaJobQueue } from '../adapters/aws-lambda/job-queue';
import type { Database } from '../adapters/dynamodb/client';
import { createListenerDeps } from '../composition/slack-ingress';
import { verifySlackRequest } from './verify-request';
import type { JobQueue } from '../ports';
import { logWarning } from '../log';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Slack drops a request not answered within 3 s, and Bolt on Lambda answers only once the listener has
 * returned (nothing may run after the answer: Lambda freezes). So a listener's database calls give up
 * at this point of the request, leaving time to tell the person what happened.
 */
export const LISTENER_DATABASE_BUDGET_MS = 2_200;

/** On Lambda, slow work goes to the worker function (WORKER_FUNCTION_NAME). */
function workerQueue(config: Config): JobQueue {
  if (!config.WORKER_FUNCTION_NAME) throw new VpnChatopsError('INVALID_CONFIG', 'WORKER_FUNCTION_NAME is not set: the Slack function has nowhere to hand slow work.');
  return new LambdaJobQueue(config.WORKER_FUNCTION_NAME);
}

/**
 * A two-argument Lambda handler; the app is built once per container, on the first request.
 * `jobs` lets tests and local runs keep the worker in-process. Every request is verified here before
 * Bolt sees it (see verify-request.ts): the Function URL is open to the internet, and what Bolt
 * cannot parse it throws on, failing the invocation and raising the Slack function's error alarm.
 */
export function createSlackLambdaHandler(loadConfig: () => Config | Promise<Config>, jobs: (config: Config, db: Database) => Promise<JobQueue> | JobQueue = workerQueue): Handler {
  let ready: Promise<{ signingSecret: string; bolt: Handler }> | undefined;
  const requestDeadline = new AsyncLocalStorage<Deadline>();
  const init = async () => {
    const config = await loadConfig();
    if (!config.SLACK_SIGNING_SECRET) throw new VpnChatopsError('INVALID_CONFIG', 'SLACK_SIGNING_SECRET is not set.');
    const receiver = new AwsLambdaReceiver({ signingSecret: config.SLACK_SIGNING_SECRET });
    const db = connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION });
    // Jobs keep the unbounded client: in-process ones (tests, local runs) outlive the request that queued them.
    const listenerDb = withCurrentDeadline(db, () => requestDeadline.getStore());
    createSlackApp({ config, deps: createListenerDeps(config, listenerDb, await jobs(config, db)), receiver });
    return { signingSecret: config.SLACK_SIGNING_SECRET, bolt: (await receiver.start()) as unknown as Handler };
  };
  return async (event, context) => {
    // Slack's 3 s include a cold start.
    const arrived = Date.now();
    ready ??= init().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    const { signingSecret, bolt } = await ready;
    const verdict = verifySlackRequest(event, signingSecret, Date.now());
    if (!verdict.ok) {
      // A warning, not an error: anyone on the internet can send these, and errors page the admins.
      logWarning(`Slack request refused with ${verdict.response.statusCode}: ${verdict.reason}`);
      return verdict.response;
    }
    return requestDeadline.run(new Deadline(new Date(arrived + LISTENER_DATABASE_BUDGET_MS)), () => bolt(verdict.event, context));
  };
}
