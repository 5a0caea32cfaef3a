/**
 * The Web API methods whose calls are paced through the shared budget (ports.SlackBudget), at the floor of
 * Slack's published limit per minute, per method and workspace (/work/shared/reference/slack.md §5.2):
 * chat.update is Tier 3 (50+); chat.postMessage keeps a workspace-wide limit Slack does not publish, read
 * as 300 a minute as the stand-in does. Its other rule, one message a second per channel, needs no
 * budget: each prompt goes to its owner's own DM.
 */
export const SLACK_PACED_PER_MINUTE: Readonly<Record<string, number>> = {
  'chat.postMessage': 300,
  'chat.update': 50,
};
