import { setTimeout as sleep } from 'node:timers/promises';
import { WebClient } from '@slack/web-api';
import type { Config } from '../config';
import type { Deadline } from '../domain/deadline';
import { VpnChatopsError } from '../domain/errors';

const REQUEST_TIMEOUT_MS = 5_000;

function botToken(config: Config): string {
  if (!config.SLACK_BOT_TOKEN)
    throw new VpnChatopsError('INVALID_CONFIG', 'SLACK_BOT_TOKEN is not set: the bot cannot talk to Slack.');
  return config.SLACK_BOT_TOKEN;
}

/**
 * The Web API client for the bot and the worker. Short retries and a timeout: the default policy
 * retries for about 30 minutes, far past any Lambda's life or a user's patience.
 */
export function slackClient(config: Config): WebClient {
  return new WebClient(botToken(config), {
    slackApiUrl: config.SLACK_API_URL,
    retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2_000 },
    timeout: REQUEST_TIMEOUT_MS,
  });
}

/**
 * For listeners, which must answer within 3 seconds: one short attempt, and a 429 fails at once
 * instead of waiting out Retry-After.
 */
export function slackClientForListeners(config: Config): WebClient {
  return new WebClient(botToken(config), {
    slackApiUrl: config.SLACK_API_URL,
    retryConfig: { retries: 0 },
    timeout: 800,
    rejectRateLimitedCalls: true,
  });
}

/**
 * A 429 is waited out only when the prompt would still arrive with this much of the login's time left (or half the
 * owner's time, if less).
 */
const USEFUL_AFTER_WAIT_MS = 5_000;
const MAX_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 200;
/**
 * Failures before the request left this machine: only after these may a post be sent again without risking a duplicate.
 */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const neverSent = (error: unknown) =>
  NEVER_SENT.has(String((error as { cause?: { code?: unknown } }).cause?.code ?? ''));

/**
 * For the login path, which must answer the VPN by `deadline`: a failed attempt (refused connection, 5xx, 429)
 * is retried only when the pause (a 429's Retry-After) ends well before the deadline (one
 * `Retry-After: 30` would otherwise outlast the VPN's patience), and every request is aborted when
 * the deadline passes, so no call made for an abandoned login lands later.
 */
export function slackClientWithin(config: Config, deadline: Deadline): WebClient {
  const usefulMs = Math.min(USEFUL_AFTER_WAIT_MS, (config.APPROVAL_TIMEOUT_S * 1000) / 2);
  const worthWaiting = (pauseMs: number, attempt: number) =>
    attempt < MAX_ATTEMPTS && pauseMs >= 0 && pauseMs <= deadline.remainingMs() - usefulMs;
  const fetchWithin = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      // Bounded by the deadline only, so a request that timed out is never sent again (Slack may have posted it,
      // and the prompt would arrive twice); a shorter limit would only fail a slow post that was still in time.
      // The deadline's signal is passed as it is: on Node 20 an AbortSignal.timeout inside AbortSignal.any is
      // garbage-collected and never fires.
      try {
        response = await fetch(url, { ...init, signal: deadline.signal() });
      } catch (error) {
        if (!neverSent(error) || !worthWaiting(RETRY_PAUSE_MS * attempt, attempt)) throw error;
        await sleep(RETRY_PAUSE_MS * attempt, undefined, { signal: deadline.signal() });
        continue;
      }
      const pauseMs =
        response.status === 429 ? Number(response.headers.get('retry-after') ?? NaN) * 1000 : RETRY_PAUSE_MS * attempt;
      if ((response.status !== 429 && response.status < 500) || !worthWaiting(pauseMs, attempt)) return response;
      await response.body?.cancel();
      await sleep(pauseMs, undefined, { signal: deadline.signal() });
    }
  };
  return new WebClient(botToken(config), {
    slackApiUrl: config.SLACK_API_URL,
    // Retries, 429s and the per-request timeout are handled in fetchWithin, against the deadline.
    retryConfig: { retries: 0 },
    timeout: 0,
    rejectRateLimitedCalls: true,
    fetch: fetchWithin,
  });
}
