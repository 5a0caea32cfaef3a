import { AsyncLocalStorage } from 'node:async_hooks';
import { parse as parseQuery } from 'node:querystring';
import { AwsLambdaReceiver } from '@slack/bolt';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { Deadline } from '../domain/deadline';
import { perContainer } from '../per-container';
import { createSlackApp } from './app';
import type { ListenerDeps } from './context';
import { VerifiedEvent, verifySlackRequest } from './verify-request';
import { appendLogKeys, logInvocation, logWarning, startInvocationLog } from '../log';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Slack drops a request not answered within 3 s, and Bolt on Lambda answers only once the listener has
 * returned (nothing may run after the answer: Lambda freezes). So a listener's database calls give up
 * at this point of the request, leaving time to tell the person what happened.
 */
export const LISTENER_DATABASE_BUDGET_MS = 2_200;

/** The ids Slack gives this request, as log keys: an Events API delivery, a click or a command. */
export function slackRequestKeys(event: VerifiedEvent): Record<string, string | undefined> {
  const stamp = Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'x-slack-request-timestamp')?.[1];
  const keys = { slack_request_timestamp: typeof stamp === 'string' ? stamp : undefined };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  try {
    const form = parseQuery(event.body);
    if (typeof form.payload === 'string') {
      const payload = JSON.parse(form.payload) as {
        type?: unknown;
        trigger_id?: unknown;
        actions?: { action_id?: unknown }[];
        view?: { callback_id?: unknown };
      };
      return {
        ...keys,
        slack_type: text(payload.type),
        slack_trigger_id: text(payload.trigger_id),
        slack_action_id: text(payload.actions?.[0]?.action_id),
        slack_callback_id: text(payload.view?.callback_id),
      };
    }
    if (typeof form.command === 'string')
      return { ...keys, slack_type: 'command', slack_trigger_id: text(form.trigger_id) };
    const envelope = JSON.parse(event.body) as { type?: unknown; event_id?: unknown; event?: { type?: unknown } };
    return {
      ...keys,
      slack_type: text(envelope.event?.type) ?? text(envelope.type),
      slack_event_id: text(envelope.event_id),
    };
  } catch {
    return keys;
  }
}

/**
 * A two-argument Lambda handler; the app is built once per container, on the first request, with the
 * listener deps `listenerDeps` makes: their database calls can be bounded by `requestDeadline`, the
 * current request's. Every request is verified here before Bolt sees it (see verify-request.ts): the
 * Function URL is open to the internet, and what Bolt cannot parse it throws on, failing the
 * invocation and raising the Slack function's error alarm.
 */
export function slackLambdaHandler(
  loadConfig: () => Config | Promise<Config>,
  listenerDeps: (config: Config, requestDeadline: () => Deadline | undefined) => Promise<ListenerDeps>,
): Handler {
  const requestDeadline = new AsyncLocalStorage<Deadline>();
  const ready = perContainer(async () => {
    const config = await loadConfig();
    if (!config.SLACK_SIGNING_SECRET) throw new VpnChatopsError('INVALID_CONFIG', 'SLACK_SIGNING_SECRET is not set.');
    const receiver = new AwsLambdaReceiver({ signingSecret: config.SLACK_SIGNING_SECRET });
    createSlackApp({ config, deps: await listenerDeps(config, () => requestDeadline.getStore()), receiver });
    return { signingSecret: config.SLACK_SIGNING_SECRET, bolt: (await receiver.start()) as unknown as Handler };
  });
  return async (event, context) => {
    // Slack's 3 s include a cold start.
    const arrived = Date.now();
    startInvocationLog(context);
    const { signingSecret, bolt } = await ready();
    const verdict = verifySlackRequest(event, signingSecret, Date.now());
    if (!verdict.ok) {
      // A warning, not an error: anyone on the internet can send these, and errors page the admins.
      logWarning(`Slack request refused with ${verdict.response.statusCode}: ${verdict.reason}`);
      return verdict.response;
    }
    appendLogKeys(() => slackRequestKeys(verdict.event));
    const answer = await requestDeadline.run(new Deadline(new Date(arrived + LISTENER_DATABASE_BUDGET_MS)), () =>
      bolt(verdict.event, context),
    );
    logInvocation('Slack request answered', { status: (answer as { statusCode?: unknown } | undefined)?.statusCode });
    return answer;
  };
}
