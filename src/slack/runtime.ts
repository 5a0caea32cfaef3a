import type { Config } from '../config';
import { VpnAdmin, caStoreFor, doctorProbes, endpointsFor, loadCaFrom, storesFor } from '../composition';
import { logError as log } from '../log';
import type { Database } from '../adapters/dynamodb/client';
import { AdminPolicy } from './admins';
import { SlackAlertSink } from './alerts';
import { slackClient } from './client';
import { SlackExpiryNotifier } from './expiry-notifier';
import { InProcessJobQueue } from './jobs';
import { SlackWorker } from './worker';


/** The worker side: the only part of the bot that loads the CA. */
export async function createWorker(config: Config, db: Database): Promise<SlackWorker> {
  const ca = await loadCaFrom(caStoreFor(config));
  const client = slackClient(config);
  const stores = storesFor(db);
  const admins = new AdminPolicy(config.ADMIN_SLACK_IDS, config.ADMIN_USERGROUP_ID, client);
  const admin = new VpnAdmin({
    config,
    ca,
    ...stores,
    endpoints: endpointsFor(config, ca),
    alerts: new SlackAlertSink(client, config.ADMIN_CHANNEL_ID, admins, log),
    expiry: new SlackExpiryNotifier(client, admins),
  });
  return new SlackWorker({ admin, client, admins, idempotency: stores.idempotency, probes: doctorProbes(config, db), log });
}

/** Outside Lambda: jobs run in this process, after the reply. */
export async function inProcessJobs(config: Config, db: Database): Promise<InProcessJobQueue> {
  const worker = await createWorker(config, db);
  return new InProcessJobQueue((job) => worker.run(job));
}
