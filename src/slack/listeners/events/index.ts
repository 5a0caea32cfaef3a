import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../../context';
import { isThumbsUp } from '../../../domain/approval';
import { recordReaction } from '../../../services/record-decision';

/** How long a 👍's write may take before its owner is told it was not recorded: the login waits 25 s in all. */
const DECISION_BUDGET_MS = 5_000;

/** Slack redelivers events it thinks we missed; each event id is acted on once (a DynamoDB conditional put). */
export function registerEvents(app: App, deps: ListenerDeps): void {
  app.use(async ({ body, next }) => {
    const envelope = body as { type?: string; event_id?: string; event?: { type?: string } };
    // A 👍 is recorded by a conditional PENDING → APPROVED write, already safe to repeat: skip the extra
    // write on the path a waiting VPN login is timed on.
    const eventId = envelope.type === 'event_callback' && envelope.event?.type !== 'reaction_added' ? envelope.event_id : undefined;
    if (eventId) {
      const first = await deps.idempotency.claim(`slack-event:${eventId}`, 3_600).catch((error: unknown) => {
        // Acting twice on an idempotent event beats dropping it because the dedupe store hiccuped.
        deps.log('event dedupe unavailable', error);
        return true;
      });
      if (!first) return;
    }
    try {
      await next();
    } catch (error) {
      // The event was not acted on: Slack's next retry of it must be, not taken for a repeat.
      if (eventId) await deps.idempotency.release(`slack-event:${eventId}`).catch((releaseError: unknown) => deps.log('could not release an event claim', releaseError));
      throw error;
    }
  });

  // Approving is one conditional write: fast enough to do inline, within Slack's 3 seconds. When the
  // database does not take it in time, the person is told at once rather than left to think they approved.
  app.event('reaction_added', async ({ event }) => {
    if (event.item.type !== 'message') return;
    const reaction = { user: event.user, name: event.reaction, channel: event.item.channel, ts: event.item.ts };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), DECISION_BUDGET_MS)));
    const outcome = await Promise.race([recordReaction({ ...deps, ...deps.decisions }, reaction).then(() => 'recorded' as const, (error: unknown) => ({ error })), late]);
    clearTimeout(timer);
    if (outcome === 'recorded') return;
    if (outcome === 'late') deps.log(`a reaction by ${reaction.user} was not recorded within ${DECISION_BUDGET_MS / 1000} s: DynamoDB did not answer (stalled?)`);
    // Only the bot's DM with a person holds approval prompts, and only that person can react there.
    if (isThumbsUp(reaction.name) && reaction.channel.startsWith('D')) await deps.decisions.notRecorded(reaction.channel).catch((error: unknown) => deps.log('could not tell a member their reaction was not recorded', error));
    // A failure goes on to app.error, which logs it as the fault it is.
    if (outcome !== 'late') throw outcome.error;
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await deps.jobs.enqueue({ type: 'home', userId: event.user });
  });
}
