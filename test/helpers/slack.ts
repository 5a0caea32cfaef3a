import {
  SlackRequest,
  ViewStateValues,
  blockActionRequest,
  eventCallbackRequest,
  signSlackBody,
  slashCommandRequest,
  viewSubmissionRequest,
} from '../../src/local/slack-requests';

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

export const sign = (body: string, timestamp: number, secret = SIGNING_SECRET): string =>
  signSlackBody(body, timestamp, secret);

type SignOptions = {
  timestamp?: number;
  secret?: string;
  headers?: Record<string, string>;
  omit?: string[];
  base64?: boolean;
};

/** A Function URL event exactly as Slack's request would arrive, correctly signed unless told otherwise. */
export function signedRequest(body: string, contentType: string, options: SignOptions = {}): LambdaUrlEvent {
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

export const lambdaEvent = (request: SlackRequest, options: SignOptions = {}) =>
  signedRequest(request.body, request.contentType, options);

export function slashCommand(
  userId: string,
  text: string,
  responseUrl: string,
  options: SignOptions = {},
): LambdaUrlEvent {
  return lambdaEvent(slashCommandRequest({ userId, text, responseUrl }), options);
}

let clicks = 0;

/**
 * A button click. With a response_url it sits in a message, a different one per call unless `messageTs`
 * says otherwise; without, on the App Home, whose view id Slack keeps for every click (`homeViewId`).
 */
export function blockAction(
  userId: string,
  actionId: string,
  value: string,
  responseUrl?: string,
  messageTs = `${Date.now() / 1000}.${++clicks}`,
  homeViewId = `V0HOME${userId}`,
): LambdaUrlEvent {
  const container = responseUrl
    ? ({ type: 'message', channelId: 'C0GENERAL', messageTs, isEphemeral: true } as const)
    : ({ type: 'view', view: { id: homeViewId, type: 'home' } } as const);
  return lambdaEvent(blockActionRequest({ userId, actionId, value, responseUrl, container }));
}

export function viewSubmission(userId: string, callbackId: string, values: ViewStateValues): LambdaUrlEvent {
  return lambdaEvent(viewSubmissionRequest({ userId, view: { id: 'V0MODAL', callback_id: callbackId }, values }));
}

export function eventCallback(
  event: Record<string, unknown>,
  eventId: string,
  options: SignOptions = {},
): LambdaUrlEvent {
  return lambdaEvent(eventCallbackRequest(event, eventId), options);
}

/** The configuration of a bot wired to the Slack stand-in and a test table (overrides win). */
export function botEnv(
  slack: { token: string; apiUrl: string },
  tableName: string,
  stateDir: string,
  overrides: Record<string, string> = {},
): Record<string, string | undefined> {
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
