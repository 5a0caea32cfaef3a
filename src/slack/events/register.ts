import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../context';
import { recordReaction } from '../../services/record-decision';

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

  // Approving is one conditional write: fast enough to do inline, within Slack's 3 seconds.
  app.event('reaction_added', async ({ event }) => {
    if (event.item.type !== 'message') return;
    await recordReaction(
      { ...deps, ...deps.decisions },
      { user: event.user, name: event.reaction, channel: event.item.channel, ts: event.item.ts },
    );
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await deps.jobs.enqueue({ type: 'home', userId: event.user });
  });
}
