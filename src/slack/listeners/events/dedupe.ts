import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { ListenerDeps } from '../../context';

/** Slack redelivers events it thinks we missed; each event id is acted on once (a DynamoDB conditional put). */
export const dedupeEvents =
  (deps: ListenerDeps): Middleware<AnyMiddlewareArgs> =>
  async ({ body, next }) => {
    const envelope = body as { type?: string; event_id?: string; event?: { type?: string } };
    // A 👍 is recorded by a conditional PENDING → APPROVED write, already safe to repeat: skip the extra
    // write on the path a waiting VPN login is timed on.
    const eventId =
      envelope.type === 'event_callback' && envelope.event?.type !== 'reaction_added' ? envelope.event_id : undefined;
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
      if (eventId)
        await deps.idempotency
          .release(`slack-event:${eventId}`)
          .catch((releaseError: unknown) => deps.log('could not release an event claim', releaseError));
      throw error;
    }
  };
