import type { Middleware, SlackEventMiddlewareArgs } from '@slack/bolt';
import { isThumbsUp } from '../../../domain/approval';
import { recordReaction } from '../../../services/record-decision';
import type { ListenerDeps } from '../../context';

/** How long a 👍's write may take before its owner is told it was not recorded: the login waits 25 s in all. */
const DECISION_BUDGET_MS = 5_000;

/**
 * Approving is one conditional write: fast enough to do inline, within Slack's 3 seconds. When the
 * database does not take it in time, the person is told at once rather than left to think they approved.
 */
export const reactionAdded =
  (deps: ListenerDeps): Middleware<SlackEventMiddlewareArgs<'reaction_added'>> =>
  async ({ event }) => {
    if (event.item.type !== 'message') return;
    const reaction = { user: event.user, name: event.reaction, channel: event.item.channel, ts: event.item.ts };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), DECISION_BUDGET_MS)));
    const outcome = await Promise.race([
      recordReaction({ ...deps, ...deps.decisions }, reaction).then(
        () => 'recorded' as const,
        (error: unknown) => ({ error }),
      ),
      late,
    ]);
    clearTimeout(timer);
    if (outcome === 'recorded') return;
    if (outcome === 'late')
      deps.log(
        `a reaction by ${reaction.user} was not recorded within ${DECISION_BUDGET_MS / 1000} s: DynamoDB did not answer (stalled?)`,
      );
    // Only the bot's DM with a person holds approval prompts, and only that person can react there.
    if (isThumbsUp(reaction.name) && reaction.channel.startsWith('D'))
      await deps.decisions
        .notRecorded(reaction.channel)
        .catch((error: unknown) => deps.log('could not tell a member their reaction was not recorded', error));
    // A failure goes on to app.error, which logs it as the fault it is.
    if (outcome !== 'late') throw outcome.error;
  };
