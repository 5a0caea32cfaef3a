import { Database, connectDatabase, withDeadline } from '../adapters/dynamodb/client';
import { storesFor } from '../adapters/dynamodb/stores';
import { connectHandler } from '../adapters/aws-client-vpn/connect-handler';
import type { Config } from '../config';
import { logError } from '../log';
import { systemClock } from '../ports';
import { ApprovalPolicy, DEFAULT_POLICY, DecideDeps } from '../services/decide-connection';
import { SlackApprovalNotifier } from '../slack/approval-notifier';
import { adminAlertsFor } from '../slack/admin-alert';
import { slackClient, slackClientWithin } from '../slack/client';
import { approvalsInLogs } from './approvals-in-logs';
import { slackBudgetFor } from './slack-budget';

export function approvalPolicy(config: Config): ApprovalPolicy {
  return {
    ...DEFAULT_POLICY,
    certDomain: config.CERT_DOMAIN,
    approvals: config.APPROVALS,
    timeoutMs: config.APPROVAL_TIMEOUT_S * 1000,
    rememberHours: config.REMEMBER_HOURS,
    promptLimit: config.PROMPT_LIMIT,
  };
}

/** The stores, the Slack prompt and the policy one login decision needs, each call boundable by the login's deadline. */
export function decideDeps(
  config: Config,
  db: Database = connectDatabase({
    tableName: config.TABLE_NAME,
    endpoint: config.DYNAMODB_ENDPOINT,
    region: config.AWS_REGION,
  }),
): DecideDeps {
  const client = slackClient(config);
  const notifier = new SlackApprovalNotifier(client, adminAlertsFor(config, client, logError), undefined, {
    budget: slackBudgetFor(config, db),
  });
  const stores = (database: Database) => {
    const all = storesFor(database);
    return { ...all, approvals: approvalsInLogs(all.approvals) };
  };
  return {
    ...stores(db),
    notifier,
    clock: systemClock,
    policy: approvalPolicy(config),
    within: (deadline) => {
      const bounded = slackClientWithin(config, deadline);
      return {
        ...stores(withDeadline(db, deadline)),
        notifier: notifier.using(bounded, adminAlertsFor(config, bounded, logError)),
      };
    },
  };
}

/** The connect function: Client VPN's question answered from this configuration, built on the first login. */
export function createConnectHandler(loadConfig: () => Config | Promise<Config>) {
  return connectHandler(async () => decideDeps(await loadConfig()));
}
