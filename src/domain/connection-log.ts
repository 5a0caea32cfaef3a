import type { TlsDetails } from './tls-negotiation';

/**
 * One VPN connection attempt as a connection log records it, whichever server wrote the log: AWS Client
 * VPN's JSON entries (reference/aws-client-vpn.md §5.1) or an OpenVPN server's log (openvpn-log.ts).
 * Parsing is lenient: logs carry fields we have never seen and lines that are not entries at all, and
 * one bad line must never cost the summary of the rest; callers count what was skipped instead.
 */
export interface ConnectionAttempt {
  /** When the attempt started, epoch milliseconds (numbers: a summary handles 100,000 of these). */
  at: number;
  /** `successful`, `failed`, or whatever else the log says (`waiting-for-assertion`, `incomplete`, `unknown`). */
  status: string;
  /** Why it failed, as the log names it (e.g. `client-connect-failed`, `certificate-revoked`). */
  reason?: string;
  /** The certificate's common name; absent when the attempt failed before a certificate was seen. */
  commonName?: string;
  /** The client's public address: where floods come from. */
  sourceIp?: string;
  clientVersion?: string;
  platform?: string;
  /** AWS repeats a connection's entry as it is updated; the id lets a summary count the attempt once. */
  connectionId?: string;
  /** The TLS negotiation as the log shows it (OpenVPN server logs only; AWS logs none). */
  tls?: TlsDetails;
}

export const SUCCESSFUL = 'successful';
export const FAILED = 'failed';

/** The default and the largest window one summary covers: a week of hourly bars still reads as a chart. */
export const DEFAULT_HOURS = 24;
export const MAX_HOURS = 168;

/** What one raw entry turned out to be: an attempt, a well-formed entry of another kind, or garbage. */
export type ParsedEntry = ConnectionAttempt | 'other' | 'malformed';

/** Every key AWS documents for a connection log entry, old and new; anything else is reported as unrecognised. */
const DOCUMENTED_KEYS = new Set([
  'connection-log-type',
  'connection-attempt-status',
  'connection-reset-status',
  'connection-attempt-failure-reason',
  'connection-id',
  'client-vpn-endpoint-id',
  'transport-protocol',
  'connection-start-time',
  'connection-last-update-time',
  'client-ip',
  'client-ip-v6',
  'common-name',
  'username',
  'device-type',
  'device-ip',
  'port',
  'ingress-bytes',
  'egress-bytes',
  'ingress-packets',
  'egress-packets',
  'connection-end-time',
  'connection-duration-seconds',
  'posture-compliance-statuses',
  'authorization-policy-evaluation',
]);

/**
 * Not in AWS's connection-log documentation, but the connect handler's event carries the client's
 * version under these names; when a log entry has them too, they are used.
 */
const VERSION_KEYS = ['client-openvpn-version', 'aws-client-version'];

/** Values are documented as strings; numbers are tolerated, anything else counts as absent. `NA` means absent. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' || trimmed === 'NA' ? undefined : trimmed;
  }
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
}

const digits = (value: string, start: number, end: number): number => {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
};

/**
 * `YYYY-MM-DD HH:MM:SS`, no zone: UTC by AWS's examples (reference §5.1). Hand-parsed: Date.parse is 10× slower here.
 */
export function parseAwsTime(value: string): number | undefined {
  if (
    value.length !== 19 ||
    value[4] !== '-' ||
    value[7] !== '-' ||
    value[10] !== ' ' ||
    value[13] !== ':' ||
    value[16] !== ':'
  ) {
    const fallback = Date.parse(value);
    return Number.isNaN(fallback) ? undefined : fallback;
  }
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  const second = digits(value, 17, 19);
  // Date.UTC rolls month 13 into next year; a garbled time must not become a plausible one.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60))
    return undefined;
  const ms = Date.UTC(digits(value, 0, 4), month - 1, day, hour, minute, second);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * One CloudWatch Logs event of an AWS Client VPN connection log. `publishedAt` (the event's CloudWatch
 * timestamp) stands in for a missing start time. Keys outside the documented set go into `unrecognised`.
 */
export function parseAwsConnectionLogEvent(
  message: string,
  publishedAt?: number,
  unrecognised?: Set<string>,
): ParsedEntry {
  let entry: unknown;
  try {
    entry = JSON.parse(message);
  } catch {
    return 'malformed';
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'malformed';
  const fields = entry as Record<string, unknown>;
  const type = text(fields['connection-log-type']);
  const status = text(fields['connection-attempt-status']);
  if (type === undefined && status === undefined) return 'malformed';
  if (unrecognised) {
    for (const key in fields) if (!DOCUMENTED_KEYS.has(key)) unrecognised.add(key);
  }
  // connection-reset entries (SAML assertions) are not attempts of their own.
  if (type !== undefined && type !== 'connection-attempt') return 'other';
  const startText = text(fields['connection-start-time']);
  const at = (startText === undefined ? undefined : parseAwsTime(startText)) ?? publishedAt;
  if (at === undefined) return 'malformed';
  let clientVersion: string | undefined;
  for (const key of VERSION_KEYS) clientVersion ??= text(fields[key]);
  // Every field in one literal, absent ones undefined: one object shape keeps the summary's property reads fast.
  const attempt: ConnectionAttempt = {
    at,
    status: status === undefined ? 'unknown' : status.toLowerCase(),
    reason: text(fields['connection-attempt-failure-reason']),
    commonName: text(fields['common-name']) ?? text(fields.username),
    sourceIp: text(fields['device-ip']),
    clientVersion,
    platform: text(fields['device-type']),
    connectionId: text(fields['connection-id']),
    tls: undefined,
  };
  return attempt;
}
