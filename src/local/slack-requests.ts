import { createHmac, randomBytes } from 'node:crypto';
import { BOT_USER_ID, GENERAL_CHANNEL, TEAM_ID } from './slack-standin/workspace';

/**
 * Requests exactly as Slack sends them to an app's Request URL: the payload shapes and the v0
 * signature. One implementation for the local console (which plays Slack over HTTP) and the tests
 * (which hand the same requests to the Lambda entry point).
 */

export const APP_ID = 'A0VPN';

export interface SlackRequest {
  body: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
}

/** `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">`, Slack's request signature. */
export function signSlackBody(body: string, timestamp: number, secret: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** The headers Slack adds to a request; `timestamp` in seconds, now unless given. */
export function signedHeaders(
  request: SlackRequest,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': request.contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackBody(request.body, timestamp, secret),
  };
}

const form = (fields: Record<string, string>): SlackRequest => ({
  body: new URLSearchParams(fields).toString(),
  contentType: 'application/x-www-form-urlencoded',
});
const interaction = (payload: Record<string, unknown>): SlackRequest => form({ payload: JSON.stringify(payload) });
const who = (userId: string) => ({ id: userId, username: userId.toLowerCase(), team_id: TEAM_ID });
const team = { id: TEAM_ID, domain: 'local' };
const nowTs = () => `${(Date.now() / 1000).toFixed(6)}`;

/** A trigger id in Slack's shape, for payloads whose modal nobody opens (the stand-in mints real ones). */
export const looseTriggerId = () => `${Date.now()}.123.${randomBytes(3).toString('hex')}`;

export interface SlashCommandInput {
  userId: string;
  text: string;
  responseUrl: string;
  triggerId?: string;
  channelId?: string;
  channelName?: string;
}

export function slashCommandRequest(input: SlashCommandInput): SlackRequest {
  return form({
    token: 'deprecated',
    team_id: TEAM_ID,
    team_domain: 'local',
    channel_id: input.channelId ?? GENERAL_CHANNEL,
    channel_name: input.channelName ?? 'general',
    user_id: input.userId,
    user_name: input.userId.toLowerCase(),
    command: '/vpn',
    text: input.text,
    api_app_id: APP_ID,
    response_url: input.responseUrl,
    trigger_id: input.triggerId ?? looseTriggerId(),
  });
}

/** Where a clicked button sat: a message (ephemeral or not) or a view (the Home tab, a modal). */
export type ActionContainer =
  | { type: 'message'; channelId: string; messageTs: string; isEphemeral: boolean; message?: Record<string, unknown> }
  | { type: 'view'; view: Record<string, unknown> & { id: string } };

/**
 * An org-wide install on Enterprise Grid: Slack then sends `team: null` with the enterprise beside it
 * (docs.slack.dev/reference/interaction-payloads/block_actions-payload, "Null if the app is org-installed").
 */
export interface OrgInstall {
  enterprise: { id: string; name: string };
}

const teamOf = (org: OrgInstall | undefined) =>
  org
    ? { team: null, enterprise: org.enterprise, is_enterprise_install: true }
    : { team, enterprise: null, is_enterprise_install: false };

export interface BlockActionInput {
  org?: OrgInstall;
  userId: string;
  actionId: string;
  value?: string;
  blockId?: string;
  container: ActionContainer;
  /** Slack sends one for clicks in messages, none for clicks in views. */
  responseUrl?: string;
  triggerId?: string;
  /** What the message's other elements hold (a select beside the button), as Slack sends it with the click. */
  state?: { values: Record<string, Record<string, unknown>> };
}

export function blockActionRequest(input: BlockActionInput): SlackRequest {
  const { container } = input;
  const where =
    container.type === 'message'
      ? {
          container: {
            type: 'message',
            message_ts: container.messageTs,
            channel_id: container.channelId,
            is_ephemeral: container.isEphemeral,
          },
          channel: { id: container.channelId, name: container.channelId },
          ...(container.message ? { message: container.message } : {}),
        }
      : { container: { type: 'view', view_id: container.view.id }, view: container.view };
  return interaction({
    type: 'block_actions',
    ...teamOf(input.org),
    user: who(input.userId),
    api_app_id: APP_ID,
    token: 'deprecated',
    trigger_id: input.triggerId ?? looseTriggerId(),
    ...(input.responseUrl ? { response_url: input.responseUrl } : {}),
    ...where,
    ...(input.state ? { state: input.state } : {}),
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId ?? 'b',
        ...(input.value !== undefined ? { value: input.value } : {}),
        action_ts: nowTs(),
      },
    ],
  });
}

export type ViewStateValues = Record<string, Record<string, { type: string; value: string | null }>>;

export interface ViewSubmissionInput {
  userId: string;
  view: { id: string; callback_id: string; private_metadata?: string; hash?: string } & Record<string, unknown>;
  values: ViewStateValues;
  triggerId?: string;
}

export function viewSubmissionRequest(input: ViewSubmissionInput): SlackRequest {
  return interaction({
    type: 'view_submission',
    team,
    user: who(input.userId),
    api_app_id: APP_ID,
    token: 'deprecated',
    trigger_id: input.triggerId ?? looseTriggerId(),
    view: {
      ...input.view,
      type: 'modal',
      private_metadata: input.view.private_metadata ?? '',
      hash: input.view.hash ?? 'h',
      state: { values: input.values },
    },
  });
}

/**
 * Every event arrives with `authorizations`: the installation it is delivered for, here the bot's in this workspace.
 */
export function eventCallbackRequest(event: Record<string, unknown>, eventId: string): SlackRequest {
  const authorizations = [
    { enterprise_id: null, team_id: TEAM_ID, user_id: BOT_USER_ID, is_bot: true, is_enterprise_install: false },
  ];
  return {
    body: JSON.stringify({
      token: 'deprecated',
      team_id: TEAM_ID,
      api_app_id: APP_ID,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      event,
      authorizations,
      is_ext_shared_channel: false,
    }),
    contentType: 'application/json',
  };
}

export interface BotAnswer {
  status: number;
  /** The acknowledgement's JSON body (a message, modal errors…), or undefined for an empty ack. */
  body: Record<string, unknown> | undefined;
}

/** POST a signed request to the app's Request URL, as Slack would (3 s is Slack's own patience). */
export async function sendToApp(
  url: string,
  request: SlackRequest,
  secret: string,
  timeoutMs = 3_000,
): Promise<BotAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: signedHeaders(request, secret),
    body: request.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  if (text.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(text);
      body =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : { text };
    } catch {
      body = { text };
    }
  }
  return { status: response.status, body };
}

/** The same request as a Lambda Function URL event (payload 2.0), for handing straight to the Slack handler. */
export function functionUrlEvent(request: SlackRequest, secret: string) {
  return {
    version: '2.0',
    rawPath: '/slack/events',
    rawQueryString: '',
    routeKey: '$default',
    requestContext: {},
    isBase64Encoded: false,
    headers: signedHeaders(request, secret),
    body: request.body,
  };
}
