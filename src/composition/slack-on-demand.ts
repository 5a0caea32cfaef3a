import type { Config } from '../config';
import type { Deadline } from '../domain/deadline';
import { logError } from '../log';
import { perContainer } from '../per-container';
import type { ApprovalNotifier, SlackBudget } from '../ports';
import { adminAlertsFor } from '../slack/admin-alert';
import { SlackApprovalNotifier } from '../slack/approval-notifier';
import { slackClient, slackClientWithin } from '../slack/client';

/**
 * The login prompt's Slack side, built when a login first needs it. A remembered login (most of the storm after
 * a CRL import) needs no Slack token, so a cold connect function reaches DynamoDB without waiting for Secrets
 * Manager; a login that must prompt and cannot read the credentials is refused, as any failure to prompt is.
 */
export function slackOnDemand(
  loadSlackConfig: () => Promise<Config>,
  budgetFor: (config: Config, deadline?: Deadline) => SlackBudget,
) {
  const ready = perContainer(async () => {
    const config = await loadSlackConfig().catch((error: unknown) => {
      logError('connect handler could not load its Slack credentials', error);
      throw error;
    });
    const client = slackClient(config);
    return {
      config,
      notifier: new SlackApprovalNotifier(client, adminAlertsFor(config, client, logError), undefined, {
        budget: budgetFor(config),
      }),
    };
  });
  return {
    notifier: deferred(async () => (await ready()).notifier),
    /** The notifier with every Slack call bounded by `deadline`, built once for the login that asks. */
    within: (deadline: Deadline): ApprovalNotifier => {
      let bounded: Promise<ApprovalNotifier> | undefined;
      return deferred(
        () =>
          (bounded ??= ready().then(({ config, notifier }) => {
            const client = slackClientWithin(config, deadline);
            return notifier.using(client, adminAlertsFor(config, client, logError), budgetFor(config, deadline));
          })),
      );
    },
  };
}

function deferred(notifier: () => Promise<ApprovalNotifier>): ApprovalNotifier {
  return {
    prompt: async (approval) => (await notifier()).prompt(approval),
    // A prompt never posted has no message to rewrite: no reason to read the credentials for it.
    settle: async (approval, status) => {
      if (approval.channel && approval.ts) await (await notifier()).settle(approval, status);
    },
    alertAdmins: async (alert) => (await notifier()).alertAdmins(alert),
    // The credentials are read here, before the login claims one of its prompts.
    ready: async () => void (await notifier()),
  };
}
