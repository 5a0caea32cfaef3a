import { AwsLambdaReceiver } from '@slack/bolt';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { connectDatabase } from '../adapters/dynamodb/client';
import { createSlackApp } from './app';
import { LambdaJobQueue } from '../adapters/aws-lambda/job-queue';
import type { Database } from '../adapters/dynamodb/client';
import { createListenerDeps } from './ingress';
import type { JobQueue } from './jobs';

type LambdaEvent = { body?: string; isBase64Encoded?: boolean } & Record<string, unknown>;
type Handler = (event: LambdaEvent, context: unknown) => Promise<unknown>;

/**
 * Bolt decodes base64 bodies as ASCII, which breaks on any non-ASCII text (an echoed Home view with
 * "✅" in it): decode as UTF-8 before Bolt sees the body.
 */
export function decodeBody(event: LambdaEvent): LambdaEvent {
  if (!event.isBase64Encoded || typeof event.body !== 'string') return event;
  return { ...event, body: Buffer.from(event.body, 'base64').toString('utf8'), isBase64Encoded: false };
}

/** On Lambda, slow work goes to the worker function (WORKER_FUNCTION_NAME). */
function workerQueue(config: Config): JobQueue {
  if (!config.WORKER_FUNCTION_NAME) throw new VpnChatopsError('INVALID_CONFIG', 'WORKER_FUNCTION_NAME is not set: the Slack function has nowhere to hand slow work.');
  return new LambdaJobQueue(config.WORKER_FUNCTION_NAME);
}

/**
 * A two-argument Lambda handler; the app is built once per container, on the first request.
 * `jobs` lets tests and local runs keep the worker in-process.
 */
export function createSlackLambdaHandler(loadConfig: () => Config | Promise<Config>, jobs: (config: Config, db: Database) => Promise<JobQueue> | JobQueue = workerQueue): Handler {
  let ready: Promise<Handler> | undefined;
  const init = async (): Promise<Handler> => {
    const config = await loadConfig();
    if (!config.SLACK_SIGNING_SECRET) throw new VpnChatopsError('INVALID_CONFIG', 'SLACK_SIGNING_SECRET is not set.');
    const receiver = new AwsLambdaReceiver({ signingSecret: config.SLACK_SIGNING_SECRET });
    const db = connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION });
    createSlackApp({ config, deps: createListenerDeps(config, db, await jobs(config, db)), receiver });
    return (await receiver.start()) as unknown as Handler;
  };
  return async (event, context) => {
    ready ??= init().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return (await ready)(decodeBody(event), context);
  };
}
