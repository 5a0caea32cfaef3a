import type { Config } from '../config';
import { VpnAdmin, caStoreFor, endpointsFor, loadCaFrom, storesFor } from '../composition';
import type { Database } from '../adapters/dynamodb/client';
import { LambdaJobQueue } from '../adapters/aws-lambda/job-queue';
import { systemClock } from '../ports';
import { AdminPolicy } from './admins';
import { slackClient } from './client';
import type { ListenerDeps } from './context';
import { InProcessJobQueue, JobQueue } from './jobs';
import { SlackWorker } from './worker';

const log = (message: string, error?: unknown) => console.error(JSON.stringify({ level: 'error', message, error: error instanceof Error ? error.message : error }));

/** The worker side: the only part of the bot that loads the CA. */
export async function createWorker(config: Config, db: Database): Promise<SlackWorker> {
  const ca = await loadCaFrom(caStoreFor(config));
  const client = slackClient(config);
  const admin = new VpnAdmin({ config, ca, ...storesFor(db), endpoints: endpointsFor(config, ca), alerts: { send: async (alert) => log(alert.message) } });
  return new SlackWorker({ admin, client, admins: new AdminPolicy(config.ADMIN_SLACK_IDS, config.ADMIN_USERGROUP_ID, client), log });
}

/** The listeners' side: stores, admin policy, and a queue that reaches the worker. */
export function createListenerDeps(config: Config, db: Database, jobs: JobQueue): ListenerDeps {
  const stores = storesFor(db);
  return {
    certificates: stores.certificates,
    audit: stores.audit,
    idempotency: stores.idempotency,
    clock: systemClock,
    admins: new AdminPolicy(config.ADMIN_SLACK_IDS, config.ADMIN_USERGROUP_ID, slackClient(config)),
    jobs,
    log,
  };
}

/** Lambda: hand jobs to the worker function. Anywhere else: run them here, after the reply. */
export async function jobQueueFor(config: Config, db: Database): Promise<JobQueue> {
  if (config.WORKER_FUNCTION_NAME) return new LambdaJobQueue(config.WORKER_FUNCTION_NAME);
  const worker = await createWorker(config, db);
  return new InProcessJobQueue((job) => worker.run(job));
}
