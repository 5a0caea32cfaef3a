import { createHash } from 'node:crypto';
import type { BlockAction, ButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Job } from '../../../ports';
import type { ListenerDeps } from '../../context';
import { errorMessage } from '../../views/errors';

type ButtonBody = BlockAction<ButtonAction>;
export type ButtonListener = Middleware<SlackActionMiddlewareArgs<ButtonBody>>;

export const buttonValue = (body: ButtonBody) => body.actions[0]?.value ?? '';

/** How a certificate's serial travels in a button value. */
export const isSerial = (value: string) => /^[0-9A-F]{2,40}$/.test(value);

/**
 * A double click must not revoke or publish twice: on AWS every CRL import drops every connection.
 * Slack sends each click as its own payload (its own action_ts), so a double click arrives as two
 * payloads for the same button: same person, same message or view, same action_id and value. Slack
 * keeps one view id for every click on a Home view, and every row's Revoke shares one action_id, so
 * the value (which certificate) tells the rows apart. The claim on a button holds while its job is in
 * flight: the worker lets go when the job has run, whatever its outcome, and this listener when the job
 * could not be handed off; so a click after an answer, or after an error, is always acted on.
 */
function clickKey(body: ButtonBody): string {
  const where = body.container?.message_ts ?? body.view?.id ?? body.trigger_id;
  const action = body.actions[0];
  const value = createHash('sha256')
    .update(action?.value ?? '')
    .digest('base64url')
    .slice(0, 22);
  return `click:${body.user.id}:${where}:${action?.action_id}:${value}`;
}

/**
 * Longer than a worker job may run (5 minutes) after its wait in Lambda's queue: the claim of a worker that died
 * lapses.
 */
const CLICK_CLAIM_S = 600;

/** The person is told to try again when the hand-off fails: their retry must not count as a double click. */
async function handOff(deps: ListenerDeps, job: Job, claim: string | undefined): Promise<void> {
  try {
    await deps.jobs.enqueue(job);
  } catch (error) {
    if (claim !== undefined)
      await deps.idempotency
        .release(claim)
        .catch((releaseError: unknown) => deps.log('could not release a click claim', releaseError));
    throw error;
  }
}

/**
 * A button whose work the worker does. The job is queued before Slack gets its answer (on Lambda the
 * answer waits for the listener anyway), so a failure can still be shown; authority is re-checked by
 * the worker. `once`: a double click queues one job (see clickKey).
 */
export const jobButton =
  (
    deps: ListenerDeps,
    toJob: (body: ButtonBody) => Job | undefined,
    options: { once?: boolean } = {},
  ): ButtonListener =>
  async ({ ack, body, respond, client }) => {
    try {
      const job = toJob(body);
      if (job) {
        const claim = options.once ? clickKey(body) : undefined;
        // Acting twice beats dropping a click because the claim store hiccuped.
        const first = claim === undefined || (await deps.idempotency.claim(claim, CLICK_CLAIM_S).catch(() => true));
        if (first) await handOff(deps, claim === undefined ? job : { ...job, claim }, claim);
      }
      await ack();
    } catch (error) {
      deps.log(`button ${body.actions[0]?.action_id} failed`, error);
      await ack();
      const failed = errorMessage('That did not go through, and nothing was changed. Try again in a minute.');
      if (body.response_url) await respond({ response_type: 'ephemeral', replace_original: false, ...failed });
      else {
        // A click on the Home tab has no response_url: the person hears of it in their DM.
        const { channel } = await client.conversations.open({ users: body.user.id });
        if (channel?.id) await client.chat.postMessage({ channel: channel.id, ...failed });
      }
    }
  };

/**
 * A Revoke button on one certificate, by its serial; the worker checks who may revoke it. The reason is the
 * button's: a person revoking their own certificate suspects its key, an admin ends someone's access.
 */
export const revokeButton = (deps: ListenerDeps, reason: 'keyCompromise' | 'affiliationChanged') =>
  jobButton(
    deps,
    (body) => {
      const serial = buttonValue(body);
      if (!isSerial(serial)) return undefined;
      return { type: 'revoke', actorId: body.user.id, target: { serial }, reason, responseUrl: body.response_url };
    },
    { once: true },
  );
