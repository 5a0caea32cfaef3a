import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';

/**
 * Slack's own bound on a request's age, either way: a replayed request is refused after five minutes.
 * Bolt's receiver checks only the past, so a request stamped in the future would stay replayable.
 */
export const MAX_CLOCK_SKEW_S = 300;

/**
 * Far above any request Slack sends (a `block_actions` payload carrying a full 100-block view is a few
 * hundred KB) and far below what a Function URL accepts (6 MB), so nobody makes us hash megabytes.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface IngressResponse {
  statusCode: 400 | 401 | 413;
  headers: Record<string, string>;
  body: string;
}

/** What Bolt may see: a signed, parseable request whose body is already decoded text. */
export interface VerifiedEvent extends Record<string, unknown> {
  body: string;
  isBase64Encoded: false;
  headers: Record<string, unknown>;
}

export type IngressVerdict =
  { ok: true; event: VerifiedEvent } | { ok: false; reason: string; response: IngressResponse };

/**
 * Checks a Function URL / API Gateway event before Bolt touches it: size, Slack's v0 signature over the
 * raw bytes, timestamp, and that the body parses the way Bolt will parse it. Bolt parses first and
 * verifies second, so an unsigned junk body made it throw (a 5xx and a paged admin); here anything
 * that is not a well-formed, signed Slack request gets a plain 4xx. Never throws.
 */
export function verifySlackRequest(event: unknown, signingSecret: string, nowMs: number): IngressVerdict {
  if (!isRecord(event)) return refuse(400, 'the event is not an HTTP request');
  const bytes = bodyBytes(event);
  if (!Buffer.isBuffer(bytes)) return bytes;
  const headers = event.headers;
  if (!isRecord(headers)) return refuse(401, 'the request has no headers, so no Slack signature');
  const signed = checkSignature(headers, bytes, signingSecret, nowMs);
  if (signed) return signed;
  const text = bytes.toString('utf8');
  if (!parsesForBolt(text, header(headers, 'content-type')))
    return refuse(400, 'the signed body is not a Slack payload Bolt can parse');
  return { ok: true, event: { ...event, headers, body: text, isBase64Encoded: false } };
}

/** Bolt would decode base64 as ASCII and break on "✅"; we keep the raw bytes, which is what Slack signed. */
function bodyBytes(event: Record<string, unknown>): Buffer | IngressVerdict {
  const body = event.body;
  if (typeof body !== 'string' || body === '') return refuse(400, 'the request has no body');
  if (event.isBase64Encoded === true) {
    if (body.length > Math.ceil(MAX_BODY_BYTES / 3) * 4) return refuse(413, 'the body is too large');
    // Buffer.from skips characters that are not base64, so check the alphabet first.
    if (body.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(body))
      return refuse(400, 'the body is not valid base64');
    const bytes = Buffer.from(body, 'base64');
    return bytes.length > MAX_BODY_BYTES ? refuse(413, 'the body is too large') : bytes;
  }
  // A UTF-8 string is never shorter in bytes than in UTF-16 units: cheap to rule out the huge ones first.
  if (body.length > MAX_BODY_BYTES) return refuse(413, 'the body is too large');
  const bytes = Buffer.from(body, 'utf8');
  return bytes.length > MAX_BODY_BYTES ? refuse(413, 'the body is too large') : bytes;
}

function checkSignature(
  headers: Record<string, unknown>,
  bytes: Buffer,
  signingSecret: string,
  nowMs: number,
): IngressVerdict | undefined {
  const timestamp = header(headers, 'x-slack-request-timestamp');
  const signature = header(headers, 'x-slack-signature');
  if (timestamp === undefined || signature === undefined) return refuse(401, 'the request is not signed');
  if (!/^\d{1,12}$/.test(timestamp)) return refuse(401, 'the request timestamp is not a number of seconds');
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_CLOCK_SKEW_S)
    return refuse(401, 'the request timestamp is more than five minutes off');
  const match = /^v0=([0-9a-fA-F]{64})$/.exec(signature);
  if (!match) return refuse(401, 'the signature is not a v0 HMAC-SHA256');
  const expected = createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(bytes).digest();
  if (!timingSafeEqual(Buffer.from(match[1], 'hex'), expected)) return refuse(401, 'the signature does not match');
  return undefined;
}

/** Mirrors AwsLambdaReceiver.parseRequestBody, which throws on what this refuses. */
function parsesForBolt(text: string, contentType: string | undefined): boolean {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = parseQuery(text);
      return typeof form.payload === 'string' ? isRecord(JSON.parse(form.payload)) : true;
    }
    return isRecord(JSON.parse(text));
  } catch {
    return false;
  }
}

/**
 * Header names are case-insensitive (Function URLs lower-case them, API Gateway REST keeps Slack's case); Bolt takes
 * the first match too.
 */
function header(headers: Record<string, unknown>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === 'string' ? value : undefined;
}

function refuse(statusCode: IngressResponse['statusCode'], reason: string): IngressVerdict {
  const text = statusCode === 401 ? 'Unauthorized' : statusCode === 413 ? 'Payload Too Large' : 'Bad Request';
  return {
    ok: false,
    reason,
    response: { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
