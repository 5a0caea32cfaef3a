import { DEFAULT_HOURS, MAX_HOURS } from '../../../domain/connection-log';
import { parseDuration } from '../../../domain/duration';
import { VpnChatopsError } from '../../../domain/errors';
import { RevokingReason, parseRevokingReason } from '../../../domain/revocation';
import { parseIssueWords } from './parse-issue';

/** What `/vpn <text>` asks for. Parsing is pure; who may do it is decided when it runs. */
export type VpnCommand =
  | { kind: 'issue'; device?: string; hours?: number }
  | { kind: 'revoke'; target?: string; reason: RevokingReason }
  | { kind: 'status' }
  | { kind: 'list'; target?: string }
  | { kind: 'crl' }
  | { kind: 'logs'; hours: number; tls?: true }
  | { kind: 'doctor' }
  | { kind: 'audit'; target?: string; since?: Since }
  | { kind: 'grant'; target: string; hours: number; reason?: string }
  | { kind: 'help'; problem?: string };

/** `/vpn audit`'s start: a number of days back, or a moment (resolved against the clock when it runs). */
export type Since = { days: number } | { at: Date };

export const MAX_SINCE_DAYS = 3650;
const SINCE_DAYS = /^(\d{1,4})d$/i;
const SINCE_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?Z)?$/;

/**
 * `30d`, `2026-11-01` (UTC midnight) or `2026-11-01T09:00Z`; anything else, and impossible dates like 2026-02-30, is
 * refused.
 */
export function parseSince(text: string): Since | undefined {
  const days = SINCE_DAYS.exec(text);
  if (days) {
    const count = Number(days[1]);
    return count >= 1 && count <= MAX_SINCE_DAYS ? { days: count } : undefined;
  }
  const parts = SINCE_DATE.exec(text);
  if (!parts) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = parts
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const roundTrips =
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day &&
    at.getUTCHours() === hour &&
    at.getUTCMinutes() === minute &&
    at.getUTCSeconds() === second;
  return roundTrips ? { at } : undefined;
}

const AUDIT_USAGE = 'Use `/vpn audit [@user] [since]`, e.g. `/vpn audit @jane 30d` or `/vpn audit 2026-11-01`.';

function parseAudit(words: string[]): VpnCommand {
  if (words.length > 2) return { kind: 'help', problem: AUDIT_USAGE };
  let target: string | undefined;
  let since: Since | undefined;
  for (const word of words) {
    if (word.startsWith('<') || word.startsWith('@')) {
      const who = mention(word);
      if (who.problem || target) return { kind: 'help', problem: who.problem ?? AUDIT_USAGE };
      target = who.id;
      continue;
    }
    const parsed = parseSince(word);
    if (!parsed || since) {
      return {
        kind: 'help',
        problem: parsed
          ? AUDIT_USAGE
          : `"${word.slice(0, 40)}" is not a start date: use a date like 2026-11-01 or a number of days like 30d (at most ${MAX_SINCE_DAYS}).`,
      };
    }
    since = parsed;
  }
  return { kind: 'audit', ...(target && { target }), ...(since && { since }) };
}

export const MAX_COMMAND_TEXT = 500;

/** With should_escape on, Slack sends `<@U123>` (older payloads `<@U123|name>`). */
const USER_MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
const ANY_MENTION = /^<[#!@]/;

function mention(word: string | undefined): { id?: string; problem?: string } {
  if (word === undefined) return {};
  const match = USER_MENTION.exec(word);
  if (match) return { id: match[1] };
  if (word.startsWith('<#')) return { problem: 'That is a channel. Mention a person, e.g. `/vpn revoke @jane`.' };
  if (ANY_MENTION.test(word)) return { problem: 'Mention one person, e.g. `/vpn revoke @jane`.' };
  return {
    problem: `"${word.slice(0, 40)}" is not a mention. Type @ and pick the person from the list, e.g. \`/vpn revoke @jane\`.`,
  };
}

export function parseVpnCommand(text: string): VpnCommand {
  if (text.length > MAX_COMMAND_TEXT)
    return { kind: 'help', problem: `That command is ${text.length} characters long; /vpn commands are short.` };
  const [verb = 'help', ...rest] = text.trim().split(/\s+/).filter(Boolean);
  switch (verb.toLowerCase()) {
    case 'issue': {
      const issue = parseIssueWords(rest);
      return 'problem' in issue ? { kind: 'help', problem: issue.problem } : { kind: 'issue', ...issue };
    }
    case 'revoke': {
      const [who, reasonText, ...extra] = rest;
      if (extra.length)
        return { kind: 'help', problem: 'Use `/vpn revoke @user [reason]`, with one person and at most one reason.' };
      const target = mention(who);
      if (target.problem) return { kind: 'help', problem: target.problem };
      let reason: RevokingReason = target.id ? 'affiliationChanged' : 'keyCompromise';
      if (reasonText !== undefined) {
        try {
          // No reason is longer than 40 characters; the cut only keeps an echoed unknown word short.
          reason = parseRevokingReason(reasonText.slice(0, 40));
        } catch (error) {
          if (!(error instanceof VpnChatopsError)) throw error;
          return { kind: 'help', problem: error.message };
        }
      }
      return target.id ? { kind: 'revoke', target: target.id, reason } : { kind: 'revoke', reason };
    }
    case 'status':
      return rest.length ? { kind: 'help', problem: '`/vpn status` takes no arguments.' } : { kind: 'status' };
    case 'list': {
      const target = mention(rest[0]);
      if (target.problem || rest.length > 1)
        return { kind: 'help', problem: target.problem ?? 'Use `/vpn list [@user]`.' };
      return target.id ? { kind: 'list', target: target.id } : { kind: 'list' };
    }
    case 'crl':
      return { kind: 'crl' };
    case 'logs':
      return rest[0]?.toLowerCase() === 'tls' ? parseLogsTls(rest.slice(1)) : parseLogs(rest);
    case 'doctor':
      return rest.length ? { kind: 'help', problem: '`/vpn doctor` takes no arguments.' } : { kind: 'doctor' };
    case 'audit':
      return parseAudit(rest);
    case 'grant':
      return parseGrant(rest);
    case 'help':
      return { kind: 'help' };
    default:
      return { kind: 'help', problem: `I don't know "${verb.slice(0, 40)}".` };
  }
}

const GRANT_USAGE =
  'Use `/vpn grant @user <duration> [reason]`, e.g. `/vpn grant @jane 3d on call`: a duration like 8h, 3d or 2w.';

/** `/vpn grant @user 3d [reason]`: how long is checked against MAX_ACCESS_HOURS when it runs. */
function parseGrant(rest: string[]): VpnCommand {
  const [who, duration, ...reason] = rest;
  if (who === undefined || duration === undefined) return { kind: 'help', problem: GRANT_USAGE };
  const target = mention(who);
  if (target.problem) return { kind: 'help', problem: `${target.problem} ${GRANT_USAGE}` };
  const parsed = parseDuration(duration);
  if (!parsed) return { kind: 'help', problem: `"${duration.slice(0, 40)}" is not a duration. ${GRANT_USAGE}` };
  const text = reason.join(' ');
  return { kind: 'grant', target: target.id!, hours: parsed.hours, ...(text && { reason: text }) };
}

/** Beyond this a number of hours is just "a lot": the summary caps the window anyway, and says so. */
const HOURS_CEILING = 1_000_000;

/**
 * `/vpn logs [hours]`: a whole number of hours (`24` or `24h`); more than a week is capped by the summary, which says
 * so.
 */
function parseLogs(rest: string[]): VpnCommand {
  const usage = `Use \`/vpn logs [hours]\` with a whole number of hours from 1 to ${MAX_HOURS}, e.g. \`/vpn logs 24\`.`;
  if (rest.length === 0) return { kind: 'logs', hours: DEFAULT_HOURS };
  const match = rest.length === 1 ? /^(\d+)h?$/i.exec(rest[0]) : null;
  if (!match)
    return {
      kind: 'help',
      problem: rest.length === 1 ? `"${rest[0].slice(0, 40)}" is not a number of hours. ${usage}` : usage,
    };
  const hours = match[1].length > 7 ? HOURS_CEILING : Math.min(Number(match[1]), HOURS_CEILING);
  if (hours < 1) return { kind: 'help', problem: `A window of 0 hours has nothing in it. ${usage}` };
  return { kind: 'logs', hours };
}

/** `/vpn logs tls [hours]`: the same window, grouped for TLS troubleshooting. */
function parseLogsTls(rest: string[]): VpnCommand {
  const parsed = parseLogs(rest);
  if (parsed.kind === 'logs') return { ...parsed, tls: true };
  if (parsed.kind !== 'help') return parsed;
  return { kind: 'help', problem: parsed.problem?.replace('`/vpn logs [hours]`', '`/vpn logs tls [hours]`') };
}
