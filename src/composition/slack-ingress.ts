import type { Database } from '../adapters/dynamodb/client';
import { storesFor } from '../adapters/dynamodb/stores';
import type { Config } from '../config';
import { logError } from '../log';
import { systemClock, type JobQueue } from '../ports';
import { AdminPolicy } from '../slack/admins';
import { slackClientForListeners } from '../slack/client';
import type { ListenerDeps } from '../slack/context';
import { SlackApprovalNotifier } from '../slack/approval-notifier';
import { adminAlertsFor } from '../slack/admin-alert';
import { DEFAULT_POLICY } from '../services/decide-connection';
import { accessFor } from './access';
import { slackBudgetFor } from './slack-budget';

/**
 * The listeners' side: stores, admin policy, and a queue that reaches the worker. Deliberately
 * free of the composition root, so the Slack function's bundle carries no PKI, EC2 or CA code.
 */
export function createListenerDeps(config: Config, db: Database, jobs: JobQueue): ListenerDeps {
  const stores = storesFor(db);
  const client = slackClientForListeners(config);
  const admins = new AdminPolicy(config.ADMIN_SLACK_IDS, config.ADMIN_USERGROUP_ID, client);
  const notifier = new SlackApprovalNotifier(client, adminAlertsFor(config, client, logError, admins), undefined, {
    budget: slackBudgetFor(config, db),
    // The decision is written: its prompt's final state may wait for room in the worker, never be retried into a 429.
    later: (approval, status) => jobs.enqueue({ type: 'settle-prompt', approvalId: approval.id, status }),
  });
  return {
    approvals: stores.approvals,
    decisions: {
      notifier,
      notRecorded: (channel) => notifier.notRecorded(channel),
      policy: { coolDownMs: DEFAULT_POLICY.coolDownMs },
      // Retiring revokes, which needs the CA's side of the bot: the worker does it.
      onReplacementUsed: (replacement) => jobs.enqueue({ type: 'retire-replaced', serial: replacement.serial }),
    },
    certificates: stores.certificates,
    audit: stores.audit,
    idempotency: stores.idempotency,
    clock: systemClock,
    admins,
    jobs,
    log: logError,
    access: accessFor(config, stores, admins, client),
  };
}
