import { Database, connectDatabase, withDeadline } from '../adapters/dynamodb/client';
import { DynamoDbLoginReader } from '../adapters/dynamodb/login-reader';
import { budgetSeen } from '../adapters/dynamodb/slack-budget';
import { storesFor } from '../adapters/dynamodb/stores';
import { connectHandler } from '../adapters/aws-client-vpn/connect-handler';
import type { Config } from '../config';
import { systemClock } from '../ports';
import { ApprovalPolicy, DEFAULT_POLICY, DecideDeps } from '../services/decide-connection';
import { approvalsInLogs } from './approvals-in-logs';
import { slackBudgetFor } from './slack-budget';
import { slackOnDemand } from './slack-on-demand';

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

/**
 * The stores, the Slack prompt and the policy one login decision needs, each call boundable by the login's deadline.
 */
export function decideDeps(
  config: Config,
  db: Database = connectDatabase({
    tableName: config.TABLE_NAME,
    endpoint: config.DYNAMODB_ENDPOINT,
    region: config.AWS_REGION,
  }),
  slackConfig: () => Promise<Config> = async () => config,
): DecideDeps {
  // A login's calls to the budget, like its other calls, do not outlive its deadline; what the container saw is shared.
  const seen = budgetSeen();
  const slack = slackOnDemand(slackConfig, (slackSide, deadline) =>
    slackBudgetFor(slackSide, deadline ? withDeadline(db, deadline) : db, seen),
  );
  const stores = (database: Database) => {
    const all = storesFor(database);
    return { ...all, approvals: approvalsInLogs(all.approvals), logins: new DynamoDbLoginReader(database) };
  };
  return {
    ...stores(db),
    notifier: slack.notifier,
    clock: systemClock,
    policy: approvalPolicy(config),
    within: (deadline) => ({ ...stores(withDeadline(db, deadline)), notifier: slack.within(deadline) }),
  };
}

/**
 * The connect function: Client VPN's question answered from this configuration, built on the first login. The
 * Slack credentials (`loadSlackConfig`, e.g. with the secret) are loaded only once a login must prompt.
 */
export function createConnectHandler(
  loadConfig: () => Config | Promise<Config>,
  loadSlackConfig: () => Config | Promise<Config> = loadConfig,
) {
  return connectHandler(async () => decideDeps(await loadConfig(), undefined, async () => loadSlackConfig()));
}
