import { createHmac } from 'node:crypto';

export const SIGNING_SECRET = 'test-signing-secret';

export interface LambdaUrlEvent {
  version: '2.0';
  rawPath: string;
  rawQueryString: string;
  routeKey: string;
  headers: Record<string, string>;
  requestContext: Record<string, unknown>;
  isBase64Encoded: boolean;
  body: string;
}

export function sign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** A Function URL event exactly as Slack's request would arrive, correctly signed unless told otherwise. */
export function signedRequest(
  body: string,
  contentType: string,
  options: { timestamp?: number; secret?: string; headers?: Record<string, string>; omit?: string[]; base64?: boolean } = {},
): LambdaUrlEvent {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': sign(body, timestamp, options.secret),
    ...options.headers,
  };
  for (const name of options.omit ?? []) delete headers[name];
  return {
    version: '2.0',
    rawPath: '/slack/events',
    rawQueryString: '',
    routeKey: '$default',
    headers,
    requestContext: {},
    isBase64Encoded: options.base64 ?? false,
    body: options.base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
  };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

export function slashCommand(userId: string, text: string, responseUrl: string, options: Parameters<typeof signedRequest>[2] = {}): LambdaUrlEvent {
  const body = form({
    token: 'deprecated',
    team_id: 'T0LOCAL',
    team_domain: 'local',
    channel_id: 'C0GENERAL',
    channel_name: 'general',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command: '/vpn',
    text,
    api_app_id: 'A0VPN',
    response_url: responseUrl,
    trigger_id: `${Date.now()}.123.abcdef`,
  });
  return signedRequest(body, 'application/x-www-form-urlencoded', options);
}

let clicks = 0;

/** A button click; each call comes from a different message unless `messageTs` says otherwise. */
export function blockAction(userId: string, actionId: string, value: string, responseUrl?: string, messageTs = `${Date.now() / 1000}.${++clicks}`): LambdaUrlEvent {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0LOCAL', domain: 'local' },
    user: { id: userId, username: userId.toLowerCase(), team_id: 'T0LOCAL' },
    api_app_id: 'A0VPN',
    token: 'deprecated',
    trigger_id: `${Date.now()}.123.abcdef`,
    response_url: responseUrl,
    container: responseUrl ? { type: 'message', message_ts: messageTs, channel_id: 'C0GENERAL', is_ephemeral: true } : { type: 'view', view_id: `V0HOME${messageTs}` },
    actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: `${Date.now() / 1000}` }],
  };
  return signedRequest(form({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded');
}

export function viewSubmission(userId: string, callbackId: string, values: Record<string, Record<string, { type: string; value: string | null }>>): LambdaUrlEvent {
  const payload = {
    type: 'view_submission',
    team: { id: 'T0LOCAL', domain: 'local' },
    user: { id: userId, username: userId.toLowerCase(), team_id: 'T0LOCAL' },
    api_app_id: 'A0VPN',
    token: 'deprecated',
    trigger_id: `${Date.now()}.123.abcdef`,
    view: { id: 'V0MODAL', type: 'modal', callback_id: callbackId, private_metadata: '', state: { values }, hash: 'h' },
  };
  return signedRequest(form({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded');
}

export function eventCallback(event: Record<string, unknown>, eventId: string, options: Parameters<typeof signedRequest>[2] = {}): LambdaUrlEvent {
  const body = JSON.stringify({ token: 'deprecated', team_id: 'T0LOCAL', api_app_id: 'A0VPN', type: 'event_callback', event_id: eventId, event_time: Math.floor(Date.now() / 1000), event });
  return signedRequest(body, 'application/json', options);
}

/** The configuration of a bot wired to the Slack stand-in and a test table (overrides win). */
export function botEnv(slack: { token: string; apiUrl: string }, tableName: string, stateDir: string, overrides: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_BOT_ID: 'BBOT',
    SLACK_BOT_USER_ID: 'UBOT',
    ADMIN_SLACK_IDS: 'U0ADMIN',
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT,
    STATE_DIR: stateDir,
    CERT_DOMAIN: 'vpn.test',
    ...overrides,
  };
}
