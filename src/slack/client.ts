import { WebClient } from '@slack/web-api';
import type { Config } from '../config';
import type { Deadline } from '../domain/deadline';
import { VpnChatopsError } from '../domain/errors';

/**
 * The Web API client for the bot and the worker. Short retries and a timeout: the default policy
 * retries for about 30 minutes, far past any Lambda's life or a user's patience.
 */
export function slackClient(config: Config): WebClient {
  if (!config.SLACK_BOT_TOKEN) throw new VpnChatopsError('INVALID_CONFIG', 'SLACK_BOT_TOKEN is not set: the bot cannot talk to Slack.');
  return new WebClient(config.SLACK_BOT_TOKEN, {
    slackApiUrl: config.SLACK_API_URL,
    retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2_000 },
    timeout: 5_000,
  });
}

/**
 * For listeners, which must answer within 3 seconds: one short attempt, and a 429 fails at once
 * instead of waiting out Retry-After.
 */
export function slackClientForListeners(config: Config): WebClient {
  if (!config.SLACK_BOT_TOKEN) throw new VpnChatopsError('INVALID_CONFIG', 'SLACK_BOT_TOKEN is not set: the bot cannot talk to Slack.');
  return new WebClient(config.SLACK_BOT_TOKEN, { slackApiUrl: config.SLACK_API_URL, retryConfig: { retries: 0 }, timeout: 800, rejectRateLimitedCalls: true });
}

/**
 * For the login path, which must answer the VPN by `deadline`: one attempt, a 429 fails at once
 * (Slack's Retry-After is often longer than the VPN waits), and the request is aborted when the
 * deadline passes, so no call made for an abandoned login lands later.
 */
export function slackClientWithin(config: Config, deadline: Deadline): WebClient {
  if (!config.SLACK_BOT_TOKEN) throw new VpnChatopsError('INVALID_CONFIG', 'SLACK_BOT_TOKEN is not set: the bot cannot talk to Slack.');
  return new WebClient(config.SLACK_BOT_TOKEN, {
    slackApiUrl: config.SLACK_API_URL,
    retryConfig: { retries: 0 },
    timeout: 5_000,
    rejectRateLimitedCalls: true,
    fetch: (url, init) => fetch(url, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, deadline.signal()]) : deadline.signal() }),
  });
}
