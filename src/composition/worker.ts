import type { WebClient } from '@slack/web-api';
import { agentStoresFor } from '../adapters/dynamodb/agent-stores';
import type { Config } from '../config';
import { EndpointWiring, connectionLogsFor, endpointsFor, failureMetricsFor } from './endpoints';
import { VpnAdmin } from '../services/vpn-admin';
import { caStoreFor } from './ca-store';
import { accessFor } from './access';
import { doctorProbes } from './doctor';
import { loadCaFrom } from '../state';
import { storesFor } from '../adapters/dynamodb/stores';
import { logError as log } from '../log';
import type { Database } from '../adapters/dynamodb/client';
import type { JobQueue, VpnEndpoint } from '../ports';
import { AdminPolicy } from '../slack/admins';
import { adminAlertsFor } from '../slack/admin-alert';
import { SlackAlertSink } from '../slack/alerts';
import { SlackAgentAlertSink } from '../slack/agent-alerts';
import { SlackFloodAlertSink } from '../slack/flood-alerts';
import { slackClient } from '../slack/client';
import { SlackExpiryNotifier } from '../slack/expiry-notifier';
import { SlackOffboardingNotifier } from '../slack/offboarding-notifier';
import { SlackMemberDirectory } from '../adapters/slack-web/member-directory';
import { InProcessJobQueue } from '../slack/jobs/in-process-queue';
import { SlackWorker } from '../slack/jobs/worker';
import { SlackApprovalNotifier } from '../slack/approval-notifier';
import { slackBudgetFor } from './slack-budget';

/** The use cases with the CA loaded and CRL alerts going to ADMIN_CHANNEL_ID: the worker's and the scheduler's. */
export async function createAdmin(
  config: Config,
  db: Database,
  wiring: EndpointWiring = {},
): Promise<{
  admin: VpnAdmin;
  client: WebClient;
  stores: ReturnType<typeof storesFor> & ReturnType<typeof agentStoresFor>;
  endpoints: VpnEndpoint[];
  admins: AdminPolicy;
}> {
  const ca = await loadCaFrom(caStoreFor(config));
  const client = slackClient(config);
  const stores = { ...storesFor(db), ...agentStoresFor(db) };
  const endpoints = endpointsFor(config, ca, { ...wiring, agent: stores });
  const admins = new AdminPolicy(config.ADMIN_SLACK_IDS, config.ADMIN_USERGROUP_ID, client);
  const adminAlerts = adminAlertsFor(config, client, log, admins);
  const admin = new VpnAdmin({
    config,
    ca,
    ...stores,
    endpoints,
    connectionLogs: connectionLogsFor(config, stores),
    failureMetrics: failureMetricsFor(config),
    alerts: new SlackAlertSink(adminAlerts),
    agentAlerts: new SlackAgentAlertSink(adminAlerts),
    floodAlerts: new SlackFloodAlertSink(adminAlerts),
    expiry: new SlackExpiryNotifier(client, admins, config.MAX_ACCESS_HOURS, slackBudgetFor(config, db)),
    offboarding: {
      policy: { mode: config.OFFBOARDING, guests: config.OFFBOARD_GUESTS === 'true' },
      members: new SlackMemberDirectory(client),
      notifier: new SlackOffboardingNotifier(adminAlerts),
    },
  });
  return { admin, client, stores, endpoints, admins };
}

/** The worker side: with the scheduler, the only part of the bot that loads the CA. */
export async function createWorker(
  config: Config,
  db: Database,
  wiring: EndpointWiring = {},
  jobs?: JobQueue,
): Promise<SlackWorker> {
  const { admin, client, stores, endpoints, admins } = await createAdmin(config, db, wiring);
  const { certificates, audit, approvals, idempotency } = stores;
  return new SlackWorker({
    admin,
    client,
    admins,
    idempotency,
    probes: doctorProbes(config, db),
    certificates,
    audit,
    approvals,
    prompts: new SlackApprovalNotifier(client, adminAlertsFor(config, client, log, admins), undefined, {
      budget: slackBudgetFor(config, db),
    }),
    jobs,
    endpoints,
    log,
    access: accessFor(config, stores, admins, client),
  });
}

/** Outside Lambda: jobs run in this process, after the reply. */
export async function inProcessJobs(
  config: Config,
  db: Database,
  wiring: EndpointWiring = {},
): Promise<InProcessJobQueue> {
  // The worker hands jobs on through the queue it runs in, which exists only once the worker does.
  const queue: JobQueue = { enqueue: (job) => jobs.enqueue(job) };
  const worker = await createWorker(config, db, wiring, queue);
  const jobs = new InProcessJobQueue((job) => worker.run(job));
  return jobs;
}
