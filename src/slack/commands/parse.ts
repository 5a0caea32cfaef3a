import { DEFAULT_HOURS, MAX_HOURS } from '../../domain/connection-log';
import { REVOCATION_REASONS, RevocationReason, parseRevocationReason } from '../../domain/revocation';

/** What `/vpn <text>` asks for. Parsing is pure; who may do it is decided when it runs. */
export type VpnCommand =
  | { kind: 'issue'; device?: string }
  | { kind: 'revoke'; target?: string; reason: RevocationReason }
  | { kind: 'status' }
  | { kind: 'list'; target?: string }
  | { kind: 'crl' }
  | { kind: 'logs'; hours: number }
  | { kind: 'help'; problem?: string };

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
  return { problem: `"${word.slice(0, 40)}" is not a mention. Type @ and pick the person from the list, e.g. \`/vpn revoke @jane\`.` };
}

export function parseVpnCommand(text: string): VpnCommand {
  if (text.length > MAX_COMMAND_TEXT) return { kind: 'help', problem: `That command is ${text.length} characters long; /vpn commands are short.` };
  const [verb = 'help', ...rest] = text.trim().split(/\s+/).filter(Boolean);
  switch (verb.toLowerCase()) {
    case 'issue':
      return rest.length ? { kind: 'issue', device: rest.join(' ') } : { kind: 'issue' };
    case 'revoke': {
      const [who, reasonText, ...extra] = rest;
      if (extra.length) return { kind: 'help', problem: 'Use `/vpn revoke @user [reason]`, with one person and at most one reason.' };
      const target = mention(who);
      if (target.problem) return { kind: 'help', problem: target.problem };
      let reason: RevocationReason = target.id ? 'affiliationChanged' : 'keyCompromise';
      if (reasonText !== undefined) {
        try {
          reason = parseRevocationReason(reasonText);
        } catch {
          return { kind: 'help', problem: `"${reasonText.slice(0, 40)}" is not a revocation reason. Use one of: ${Object.keys(REVOCATION_REASONS).join(', ')}.` };
        }
      }
      return target.id ? { kind: 'revoke', target: target.id, reason } : { kind: 'revoke', reason };
    }
    case 'status':
      return rest.length ? { kind: 'help', problem: '`/vpn status` takes no arguments.' } : { kind: 'status' };
    case 'list': {
      const target = mention(rest[0]);
      if (target.problem || rest.length > 1) return { kind: 'help', problem: target.problem ?? 'Use `/vpn list [@user]`.' };
      return target.id ? { kind: 'list', target: target.id } : { kind: 'list' };
    }
    case 'crl':
      return { kind: 'crl' };
    case 'logs':
      return parseLogs(rest);
    case 'help':
      return { kind: 'help' };
    default:
      return { kind: 'help', problem: `I don't know "${verb.slice(0, 40)}".` };
  }
}

/** Beyond this a number of hours is just "a lot": the summary caps the window anyway, and says so. */
const HOURS_CEILING = 1_000_000;

/** `/vpn logs [hours]`: a whole number of hours (`24` or `24h`); more than a week is capped by the summary, which says so. */
function parseLogs(rest: string[]): VpnCommand {
  const usage = `Use \`/vpn logs [hours]\` with a whole number of hours from 1 to ${MAX_HOURS}, e.g. \`/vpn logs 24\`.`;
  if (rest.length === 0) return { kind: 'logs', hours: DEFAULT_HOURS };
  const match = rest.length === 1 ? /^(\d+)h?$/i.exec(rest[0]) : null;
  if (!match) return { kind: 'help', problem: rest.length === 1 ? `"${rest[0].slice(0, 40)}" is not a number of hours. ${usage}` : usage };
  const hours = match[1].length > 7 ? HOURS_CEILING : Math.min(Number(match[1]), HOURS_CEILING);
  if (hours < 1) return { kind: 'help', problem: `A window of 0 hours has nothing in it. ${usage}` };
  return { kind: 'logs', hours };
}
