import type { AuditEntry } from './audit';
import { isSlackId } from './cn';
import { formatDuration } from './duration';

/**
 * How a sentence shows its parts. Slack wants mentions and escaped mrkdwn, a terminal wants names and
 * plain text; the words are the same.
 */
export interface SentenceStyle {
  /** An actor or a person targeted: a Slack member ID, `vpnctl:<user>`, `system:<job>`. */
  who(id: string): string;
  /** Text from outside: a reason, an error, a device label. */
  text(raw: string): string;
  /** An identifier shown exactly: a CN, a serial, an endpoint. */
  code(raw: string): string;
}

const FLATTEN = /[\p{Cc}\s\u202A-\u202E\u2066-\u2069]+/gu;
const MAX_TEXT = 120;

const plain = (raw: string) => {
  const flat = raw.replace(FLATTEN, ' ').trim();
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT - 1)}…` : flat;
};

/** For a terminal: names where `names` knows the member, the ID where it does not. */
export function plainStyle(names: (id: string) => string | undefined = () => undefined): SentenceStyle {
  return { who: (id) => plain(names(id) ?? id), text: plain, code: plain };
}

type Details = Record<string, unknown>;

/** A table's own entry: a stored `toString` or `constructor` must not find Object's. */
const own = <T>(table: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

// Details are whatever a writer stored, possibly by an older or newer version: read them defensively.
function str(details: Details, key: string): string | undefined {
  const value = details[key];
  if (typeof value === 'string' && value.trim()) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function num(details: Details, key: string): number | undefined {
  const value = details[key];
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function strings(details: Details, key: string): string[] {
  const value = details[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The device label in a CN such as `alice.laptop-U0ALICE.vpn.example.com` (or `alice.laptop--ab3de-U0ALICE…`). */
export function deviceOfCn(cn: string): string | undefined {
  return /^[^.\s]+\.([a-z0-9-]+?)(?:--[a-z0-9]+)?-[UW][A-Z0-9]{2,}\./.exec(cn)?.[1];
}

const REASON_WORDS: Record<string, string> = {
  unspecified: '',
  keyCompromise: 'key compromised',
  cACompromise: 'CA compromised',
  affiliationChanged: 'affiliation changed',
  superseded: 'superseded',
  cessationOfOperation: 'no longer used',
  certificateHold: 'on hold',
  privilegeWithdrawn: 'access withdrawn',
  aACompromise: 'attribute authority compromised',
};

/** Why offboarding ran (services/offboarding.ts). */
const OFFBOARD_CAUSES: Record<string, string> = {
  deactivated: 'deactivated in Slack',
  guest: 'now a guest',
};

const OUTCOME_WORDS: Record<string, string> = {
  failure: 'failed',
  refused: 'refused',
  partial: 'only partly done',
  deferred: 'deferred',
};

function hoursOf(details: Details, style: SentenceStyle): string | undefined {
  const hours = num(details, 'validHours') ?? num(details, 'hours');
  if (hours !== undefined && Number.isInteger(hours) && hours > 0) return formatDuration({ hours });
  const duration = str(details, 'duration');
  return duration === undefined ? undefined : style.text(duration);
}

interface Parts {
  entry: AuditEntry;
  d: Details;
  s: SentenceStyle;
  actor: string;
  target: string;
  /** The target as an owner: "Alice's", or "the `req-1`" where the target is not a person. */
  whose: string;
  isPerson: boolean;
}

/** "laptop certificate", "certificate `0A1B`", from whatever the details say. */
function certificate(p: Parts): string {
  const cn = str(p.d, 'cn');
  const device = str(p.d, 'device') ?? (cn ? deviceOfCn(cn) : undefined);
  if (device) return `${p.s.text(device)} certificate`;
  const serial = str(p.d, 'serial') ?? str(p.d, 'new') ?? (p.isPerson ? undefined : p.entry.target);
  return serial ? `certificate ${p.s.code(serial)}` : 'certificate';
}

const owned = (p: Parts) => (p.isPerson ? `${p.whose} ${certificate(p)}` : `the ${certificate(p)}`);
const reason = (p: Parts) => {
  const raw = str(p.d, 'note') ?? str(p.d, 'reason');
  if (raw === undefined) return '';
  const words = own(REASON_WORDS, raw) ?? raw;
  return words ? `: ${p.s.text(words)}` : '';
};
const error = (p: Parts) => (str(p.d, 'error') ? `: ${p.s.text(str(p.d, 'error')!)}` : '');
const on = (p: Parts) => ` on ${p.target}`;
const isSystem = (id: string) => id.startsWith('system:');

type Phrase = (p: Parts) => string;

/** Each action in words, as it reads when it succeeded; `TOLD` lists the other outcomes a phrase tells too. */
const PHRASES: Record<string, Phrase> = {
  'certificate.issue': (p) => {
    const device = str(p.d, 'device') ?? deviceOfCn(str(p.d, 'cn') ?? '');
    const what = `a certificate${device ? ` for ${p.s.text(device)}` : ''}`;
    const hours = hoursOf(p.d, p.s);
    const csr = str(p.d, 'source') === 'csr' ? ' from a CSR' : '';
    const tail = `${csr}${hours ? ` (${hours})` : ''}`;
    if (p.entry.actor === p.entry.target) return `${p.target} was issued ${what}${tail}`;
    return p.isPerson ? `${p.actor} issued ${p.target} ${what}${tail}` : `${p.actor} issued ${what}${tail}`;
  },
  'certificate.renew': (p) => `${p.actor} renewed ${owned(p)}`,
  'certificate.revoke': (p) => {
    const from = str(p.d, 'carriedForwardFrom');
    return `${p.actor} revoked ${owned(p)}${reason(p)}${from ? ` (carried forward from CRL #${p.s.code(from)})` : ''}`;
  },
  'certificate.import': (p) => `${p.actor} imported ${owned(p)}`,
  'certificate.reenable': (p) => `${p.actor} re-enabled ${owned(p)} after a "Not me"`,
  'certificate.extend': (p) => {
    const hours = hoursOf(p.d, p.s);
    const until = str(p.d, 'notAfter');
    return `${p.actor} extended ${owned(p)}${hours ? ` by ${hours}` : ''}${until ? ` until ${p.s.text(until)}` : ''}`;
  },
  'ca.init': (p) =>
    `${p.actor} ${p.d.replaced === true ? 'replaced the CA with a new one' : 'created the CA'} in ${p.target}`,
  'ca.import': (p) => {
    const n = num(p.d, 'certificates');
    return `${p.actor} imported the CA${n !== undefined ? ` and ${n} certificates` : ''} from Easy-RSA into ${p.target}`;
  },
  'ca.server-cert': (p) => `${p.actor} issued the server certificate ${p.target}`,
  'endpoint.tls-crypt-v2-key': (p) =>
    `${p.actor} ${p.d.generated === true ? 'generated' : 'imported'} ${p.d.replaced === true ? 'a new ' : 'the '}tls-crypt-v2 server key of ${p.target}`,
  'sessions.terminate': (p) => {
    const cns = strings(p.d, 'cns');
    const whose = cns.length
      ? ` of ${cns.slice(0, 3).map(p.s.code).join(', ')}${cns.length > 3 ? ' and others' : ''}`
      : '';
    const ended = num(p.d, 'terminated');
    const found = num(p.d, 'found');
    const count = ended !== undefined && found !== undefined ? ` ${ended} of ${found}` : '';
    return p.entry.outcome === 'failure'
      ? `${p.actor} could not end sessions${on(p)}${error(p)}`
      : `${p.actor} ended${count} sessions${whose}${on(p)}`;
  },
  'sessions.expire': (p) => {
    const ended = num(p.d, 'terminated');
    const found = num(p.d, 'found');
    const cns = strings(p.d, 'cns');
    const of = found !== undefined && found !== ended ? found : undefined;
    const count = ended !== undefined ? `${ended}${of !== undefined ? ` of ${of}` : ''} ` : '';
    const noun = (of ?? ended) === 1 ? 'session' : 'sessions';
    const whose = cns.length
      ? ` of ${cns.slice(0, 3).map(p.s.code).join(', ')}${cns.length > 3 ? ' and others' : ''}`
      : '';
    return p.entry.outcome === 'failure'
      ? `${p.actor} could not end the expired sessions${whose}${on(p)}${error(p)}`
      : `${p.actor} ended ${count}expired ${noun}${whose}${on(p)}${error(p)}`;
  },
  'crl.publish': (p) => {
    const number = str(p.d, 'crlNumber');
    const entries = num(p.d, 'entries');
    const crl = `${number ? `CRL #${p.s.code(number)}` : 'a CRL'}${entries !== undefined ? ` (${entries} revoked)` : ''}`;
    switch (p.entry.outcome) {
      case 'failure':
        return `${p.actor} could not publish a CRL${on(p)}${error(p)}`;
      case 'deferred': {
        const until = str(p.d, 'until');
        return `${p.actor} deferred publishing the CRL${on(p)}${until ? ` until ${p.s.text(until)}` : ''}`;
      }
      case 'partial':
        return `${p.actor} published ${crl}${on(p)}, but the endpoint did not serve it yet`;
      default:
        return `${p.actor} published ${crl}${on(p)}`;
    }
  },
  'crl.renew': (p) => {
    const days = num(p.d, 'daysLeft');
    const left = days !== undefined ? ` with ${days.toFixed(1)} days left` : '';
    return p.entry.outcome === 'failure'
      ? `${p.actor} could not renew the CRL${on(p)}${left}`
      : `${p.actor} renewed the CRL${on(p)}${left}`;
  },
  'crl.alert': (p) => {
    const days = num(p.d, 'daysLeft');
    return `${p.actor} warned the admins that the CRL${on(p)} ${days !== undefined ? `has ${days.toFixed(1)} days left` : 'is running out'}`;
  },
  'crl.carry-forward': (p) => {
    const n = num(p.d, 'serials');
    const from = str(p.d, 'from');
    return `${p.actor} carried ${n !== undefined ? `${n} revocations` : 'revocations'} forward${from ? ` from CRL #${p.s.code(from)}` : ''}${on(p)}`;
  },
  'approval.decide': (p) => {
    const login = `a login by ${p.s.code(p.entry.target)}${str(p.d, 'publicIp') ? ` from ${p.s.code(str(p.d, 'publicIp')!)}` : ''}`;
    if (str(p.d, 'reason') === 'abandoned') return `${p.actor} closed the unanswered prompt for ${login}`;
    const answer = str(p.d, 'answer');
    if (answer === 'approve') return `${p.actor} approved ${login}`;
    if (answer) return `${p.actor} answered "Not me" to ${login}`;
    const why = str(p.d, 'reason');
    return `${isSystem(p.entry.actor) ? 'The VPN' : p.actor} ${p.entry.outcome === 'success' ? 'let in' : 'refused'} ${login}${why ? ` (${p.s.text(why)})` : ''}`;
  },
  'access.refused': (p) => {
    const what = str(p.d, 'what');
    return `${p.actor} was refused${what ? `: ${p.s.text(what)}` : ''}${p.entry.target !== p.entry.actor ? ` (${p.target})` : ''}`;
  },
  'audit.export': (p) => {
    const n = num(p.d, 'entries');
    const since = str(p.d, 'since');
    const whose = p.entry.target === 'all' ? 'the audit trail' : `the audit trail of ${p.target}`;
    return `${p.actor} exported ${whose}${since ? ` since ${p.s.text(since)}` : ''}${n !== undefined ? ` (${n} entries)` : ''}`;
  },
  'access.offboard': (p) => {
    const revoked = Array.isArray(p.d.revoked) ? p.d.revoked.length : num(p.d, 'revoked');
    const sessions = num(p.d, 'sessionsEnded');
    const done = [
      revoked !== undefined && `${revoked} certificate${revoked === 1 ? '' : 's'} revoked`,
      sessions && `${sessions} session${sessions === 1 ? '' : 's'} ended`,
    ].filter(Boolean);
    const cause = own(OFFBOARD_CAUSES, str(p.d, 'cause') ?? '') ?? str(p.d, 'cause');
    const why = cause ? `: ${p.s.text(cause)}` : reason(p);
    return str(p.d, 'mode') === 'report'
      ? `${p.actor} reported that ${p.target} should be offboarded${why}; nothing was revoked`
      : `${p.actor} offboarded ${p.target}${why}${done.length ? ` (${done.join(', ')})` : ''}`;
  },
  'access.grant': (p) => {
    if (p.d.ended === true) return `${p.actor} ended ${p.whose} VPN grant`;
    const hours = hoursOf(p.d, p.s);
    return `${p.actor} let ${p.target} get VPN access${hours ? ` for ${hours}` : ''}${reason(p)}`;
  },
  'access.request': (p) => {
    const device = str(p.d, 'device');
    const hours = hoursOf(p.d, p.s);
    return `${p.actor} asked for VPN access${device ? ` for ${p.s.text(device)}` : ''}${hours ? ` (${hours})` : ''}${reason(p)}`;
  },
  'access.request.approve': (p) => {
    const hours = hoursOf(p.d, p.s);
    return `${p.actor} approved ${p.whose} VPN access request${hours ? ` for ${hours}` : ''}`;
  },
  'access.request.deny': (p) => `${p.actor} denied ${p.whose} VPN access request${reason(p)}`,
  'access.request.expire': (p) => `${p.whose} VPN access request expired unanswered`,
};

/** The outcomes a phrase already tells; any other that is not a success is added in brackets. */
const TOLD: Record<string, readonly string[]> = {
  'sessions.terminate': ['failure', 'partial'],
  'sessions.expire': ['failure'],
  'crl.publish': ['failure', 'deferred', 'partial'],
  'crl.renew': ['failure'],
  'approval.decide': ['refused'],
  'access.refused': ['refused'],
  // Report mode: the admins are told, and the entry waits for them.
  'access.offboard': ['deferred'],
};

/**
 * One audit entry as one English sentence, e.g. "Ada revoked Alice's laptop certificate: key compromised".
 * Any entry gives a sentence: an unknown action or odd details fall back to what the entry itself says.
 */
export function auditSentence(entry: AuditEntry, style: SentenceStyle = plainStyle()): string {
  const d: Details =
    entry.details && typeof entry.details === 'object' && !Array.isArray(entry.details) ? entry.details : {};
  const rawTarget = typeof entry.target === 'string' ? entry.target : String(entry.target);
  const isPerson = isSlackId(rawTarget);
  const target = isPerson ? style.who(rawTarget) : style.code(rawTarget);
  const parts: Parts = {
    entry: { ...entry, target: rawTarget },
    d,
    s: style,
    actor: style.who(String(entry.actor)),
    target,
    whose: isPerson ? `${target}'s` : `the ${target}`,
    isPerson,
  };
  const phrase = own(PHRASES, String(entry.action));
  const sentence = phrase ? phrase(parts) : `${parts.actor} did ${style.code(String(entry.action))} to ${target}`;
  const outcome = own(OUTCOME_WORDS, String(entry.outcome));
  const told = phrase !== undefined && (own(TOLD, String(entry.action))?.includes(String(entry.outcome)) ?? false);
  const tail = outcome && !told ? ` (${outcome}${entry.outcome === 'failure' ? error(parts) : ''})` : '';
  return `${sentence}${tail}`;
}
