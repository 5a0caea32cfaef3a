import { FAILED, SUCCESSFUL, type ConnectionAttempt } from './connection-log';
import { DAY_MS } from './time';
import { addTlsFact, tlsFact, type TlsDetails } from './tls-negotiation';

/**
 * Connection attempts out of an OpenVPN 2.6 server log, line by line. The server does not write one
 * line per attempt: it writes the handshake as it happens, mostly prefixed with the peer
 * (`1.2.3.4:5678 VERIFY OK …`, `cn/1.2.3.4:5678 MULTI_sva …`), so attempts are followed per peer
 * address until one line settles them. Formats: OpenVPN's own `--log` timestamps
 * (`2026-11-22 08:24:05 …`, local time), ISO 8601 with a zone (journalctl -o short-iso), and syslog
 * (`Sep  6 12:40:15 host openvpn[535]: …`, as in seed 002).
 */

/**
 * OpenVPN's `--hand-window` default: a handshake not settled within it has failed, and packet-level
 * refusals from one address within it are one attempt re-sending, not many attempts.
 */
const HAND_WINDOW_MS = 60_000;
/** Open handshakes followed at once; a flood of half-open ones must not grow memory without bound. */
const MAX_OPEN = 20_000;
const MAX_FIELD = 120;

/**
 * What the server logs, with the sender's address, when it drops a packet before any TLS, and the reason
 * named for it (test/fixtures/tls/: no-tls-crypt.log and the tls-crypt-v2-*.log captures).
 */
const PACKET_REFUSALS: [logged: string, reason: string][] = [
  ['tls-crypt unwrapping failed', 'tls-crypt-failed'],
  ['cannot locate HMAC', 'tls-auth-failed'],
  // tls-crypt-v2 without a client key (an old tls-crypt profile, or none): the first packet is of the wrong kind.
  ['could not determine wrapping', 'tls-crypt-v2-no-key'],
  // A client key our server key did not wrap: another server's, or one from before a key rotation.
  ['can not extract tls-crypt-v2 client key', 'tls-crypt-v2-foreign-key'],
];
/**
 * Our verify script refused the unwrapped key (revoked, or naming no certificate of ours); logged in the peer's
 * instance.
 */
const VERIFY_SCRIPT_REFUSAL = 'TLS CRYPT V2 VERIFY SCRIPT ERROR';
/** Failure reasons of attempts the server dropped at their first packet, before TLS cost it anything. */
export const DROPPED_BEFORE_TLS: ReadonlySet<string> = new Set([
  ...PACKET_REFUSALS.map(([, reason]) => reason),
  'tls-crypt-v2-refused',
]);

/** OpenSSL's verify errors as OpenVPN prints them, under the names admins search for. */
const VERIFY_REASONS: Record<string, string> = {
  'certificate revoked': 'certificate-revoked',
  'CRL has expired': 'crl-expired',
  'CRL is not yet valid': 'crl-not-yet-valid',
  'unable to get certificate CRL': 'crl-missing',
  'certificate has expired': 'certificate-expired',
  'certificate is not yet valid': 'certificate-not-yet-valid',
  'unable to get local issuer certificate': 'unknown-ca',
  'self-signed certificate': 'unknown-ca',
  'self signed certificate': 'unknown-ca',
};

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const OPENVPN_TIME = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)? /;
const SYSLOG_TIME =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (?:\S+ )?[^\s:[]+(?:\[\d+\])?: /;
const PEER_TOKEN = /^(?:(\S+)\/)?([0-9A-Fa-f.:]*[.:][0-9A-Fa-f.:]*):(\d{1,5})$/;
const PACKET_FROM = /from \[AF_INET6?\](\S+?):(\d{1,5})\b/;
const PEER_INFO = /^peer info: (IV_VER|IV_GUI_VER|IV_PLAT)=(.*)$/;
const VERIFY_ERROR = /^VERIFY ERROR: depth=\d+, error=([^:]+)/;
const CN_FIELD = /\bCN=([^,\s]+)/;
const NO_COMMON_CIPHER = /^PUSH: No common cipher|AUTH_FAILED,Data channel cipher negotiation failed/;
const REJECTED = /^MULTI: connection rejected: ([^,]*)/;
/**
 * A client instance given its address: success, even when (as for a CN reconnecting) its lines carry no peer prefix.
 */
const ASSIGNED = /^MULTI: (?:Learn: \S+ -> |primary virtual IP for )(\S+)\/([0-9A-Fa-f.:]+):(\d{1,5})\b/;

const clean = (value: string) =>
  value
    .replace(/[\p{Cc}"']/gu, '')
    .trim()
    .slice(0, MAX_FIELD);

const slug = (value: string) =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);

interface Handshake {
  at: number;
  seen: number;
  ip: string;
  commonName?: string;
  version?: string;
  guiVersion?: string;
  platform?: string;
  tls?: TlsDetails;
}

export interface OpenVpnLogParserOptions {
  /** Syslog lines carry no year: the year is the one that puts the line at or before this moment. */
  now: number;
  /** Attempts that started before this are of no interest: dropped as early as possible, to bound memory. */
  from?: number;
  /** The end of the window: lines from this moment on are not counted (their attempts the caller leaves out). */
  to?: number;
  /**
   * Told of every line counted, with its moment: its own timestamp, or for a line without one the last
   * timestamp before it (undefined before any), so lines can be counted per hour.
   */
  counted?: (at: number | undefined, malformed: boolean) => void;
}

export class OpenVpnLogParser {
  readonly attempts: ConnectionAttempt[] = [];
  /** Lines read within [from, to), blank ones aside. */
  lines = 0;
  /** Lines within [from, to) that start with no timestamp we know: skipped and counted. */
  malformed = 0;
  private readonly open = new Map<string, Handshake>();
  /** Peers whose attempt is settled, with when: their trailing lines must not open another attempt. */
  private readonly settled = new Map<string, number>();
  /**
   * Attempts settled as successful, by peer, while a server may still refuse them: OpenVPN 2.6 assigns
   * the address first and finds no common data cipher only when it builds the push reply.
   */
  private readonly admitted = new Map<string, ConnectionAttempt>();
  /** Packet-level refusals (tls-crypt, tls-auth), by peer: when the last one was seen. */
  private readonly refused = new Map<string, number>();
  /** `MULTI: connection rejected` names no peer; the AUTH_FAILED that follows it does. */
  private pendingDenial: string | undefined;
  private last = 0;
  /** The last timestamp read, in any format: where a line without one belongs. */
  private moment: number | undefined;
  /** The last OpenVPN timestamp read, and its moment: a handshake writes a dozen lines within one second. */
  private stamp?: { text: string; at: number };
  /** The reader's clock, for the year of syslog lines; a reader that keeps going moves it on (`advance`). */
  private now: number;

  constructor(private readonly options: OpenVpnLogParserOptions) {
    this.now = options.now;
  }

  push(line: string): void {
    if (line.trim() === '') return;
    const stamped = this.timestamp(line);
    if (stamped === undefined) {
      this.count(this.moment, true);
      return;
    }
    const [at, message] = stamped;
    this.moment = at;
    this.count(at, false);
    // A handshake that matters may have started up to a hand-window before `from`, but no earlier.
    if (this.options.from !== undefined && at < this.options.from - HAND_WINDOW_MS) return;
    this.last = Math.max(this.last, at);
    const space = message.indexOf(' ');
    const peer = space > 0 ? PEER_TOKEN.exec(message.slice(0, space)) : null;
    if (peer) this.peerLine(at, `${peer[2]}:${peer[3]}`, peer[2], peer[1], message.slice(space + 1));
    else this.serverLine(at, message);
  }

  /**
   * Only lines inside the window count, or a window's count would be the whole file's. A line that cannot be
   * placed in time (no timestamp yet) counts: a file in a format we do not read must still show as malformed.
   */
  private count(at: number | undefined, malformed: boolean): void {
    const { from, to, counted } = this.options;
    if (at !== undefined && ((from !== undefined && at < from) || (to !== undefined && at >= to))) return;
    this.lines++;
    if (malformed) this.malformed++;
    counted?.(at, malformed);
  }

  /** Handshakes still open at the end: those past the hand-window failed without a word; the rest are `incomplete`. */
  finish(): ConnectionAttempt[] {
    this.settleOpen(Infinity);
    return this.attempts;
  }

  /**
   * For a reader that keeps going as the file grows: settles the handshakes past the hand-window (failed)
   * and those opened before `before` (`incomplete`), as `finish` would, so an hour can be closed.
   */
  settleOpen(before: number): void {
    for (const [key, handshake] of this.open) {
      if (this.last - handshake.seen >= HAND_WINDOW_MS) this.settle(key, handshake, FAILED, 'tls-handshake-timeout');
      else if (handshake.at < before) this.settle(key, handshake, 'incomplete');
    }
  }

  /** The attempts settled since the last call, handed over: a reader that keeps going ships them as it goes. */
  take(): ConnectionAttempt[] {
    return this.attempts.splice(0);
  }

  /** The reader's clock has moved on: syslog lines read from now on take their year from `now`. */
  advance(now: number): void {
    this.now = now;
  }

  private timestamp(line: string): [number, string] | undefined {
    if (this.stamp && line.startsWith(this.stamp.text)) return [this.stamp.at, line.slice(this.stamp.text.length)];
    let match = OPENVPN_TIME.exec(line);
    if (match) {
      const [y, mo, d, h, mi, s] = match.slice(1, 7).map(Number);
      const zone = match[7];
      const at =
        zone === undefined
          ? new Date(y, mo - 1, d, h, mi, s).getTime()
          : Date.parse(
              `${match[0].trim().slice(0, 19).replace(' ', 'T')}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`,
            );
      if (Number.isNaN(at)) return undefined;
      this.stamp = { text: match[0], at };
      return [at, line.slice(match[0].length)];
    }
    match = SYSLOG_TIME.exec(line);
    if (!match) return undefined;
    const now = new Date(this.now);
    const stamp = (year: number) =>
      new Date(
        year,
        MONTHS[match![1]],
        Number(match![2]),
        Number(match![3]),
        Number(match![4]),
        Number(match![5]),
      ).getTime();
    let at = stamp(now.getFullYear());
    // A December line read in January belongs to last year.
    if (at > this.now + DAY_MS) at = stamp(now.getFullYear() - 1);
    return [at, line.slice(match[0].length)];
  }

  private peerLine(at: number, key: string, ip: string, cn: string | undefined, text: string): void {
    // The verify hook runs in a client instance opened for the key, yet refuses it before any TLS: a packet-level
    // refusal, and the instance's trailing lines (`can not extract`, `SIGUSR1[soft,tls-error]`) are not a handshake.
    if (cn === undefined && text.startsWith(VERIFY_SCRIPT_REFUSAL)) {
      this.open.delete(key);
      this.markSettled(key, at);
      return this.refuse(at, key, ip, 'tls-crypt-v2-refused');
    }
    const starts = text.startsWith('TLS: Initial packet from') || text.startsWith('VERIFY ');
    let handshake = this.open.get(key);
    if (!handshake) {
      const admitted = this.admitted.get(key);
      if (admitted && NO_COMMON_CIPHER.test(text)) {
        this.admitted.delete(key);
        admitted.status = FAILED;
        admitted.reason = 'no-shared-cipher';
        admitted.tls = { ...admitted.tls, failure: 'cipher-negotiation' };
        return;
      }
      const settledAt = this.settled.get(key);
      // After an attempt is settled its peer keeps logging (alerts, restarts, delayed exits); only a new
      // handshake counts, and a client retries after a pause of at least a second.
      if (settledAt !== undefined && (!starts || at - settledAt < 1000)) return;
      this.settled.delete(key);
      handshake = { at, seen: at, ip };
      this.open.set(key, handshake);
      if (this.open.size > MAX_OPEN) this.evictOldest();
    } else if (at - handshake.seen >= HAND_WINDOW_MS && starts) {
      this.settle(key, handshake, FAILED, 'tls-handshake-timeout');
      return this.peerLine(at, key, ip, cn, text);
    }
    handshake.seen = at;
    // Only a client instance that got past authentication is logged under its CN.
    if (cn !== undefined) {
      handshake.commonName ??= clean(cn);
      return this.settle(key, handshake, SUCCESSFUL);
    }
    const info = PEER_INFO.exec(text);
    if (info) {
      const value = clean(info[2]);
      if (info[1] === 'IV_VER') handshake.version = value;
      else if (info[1] === 'IV_GUI_VER') handshake.guiVersion = value;
      else handshake.platform = value;
      return;
    }
    const fact = tlsFact(text);
    if (fact) handshake.tls = addTlsFact(handshake.tls, fact);
    const commonName = CN_FIELD.exec(text);
    if (commonName && /^VERIFY (OK|ERROR): depth=0\b/.test(text)) handshake.commonName = clean(commonName[1]);
    const reason = failureReason(text);
    if (reason === 'auth-failed' && this.pendingDenial !== undefined) {
      const denial = this.pendingDenial;
      this.pendingDenial = undefined;
      return this.settle(key, handshake, FAILED, denial);
    }
    if (reason !== undefined) this.settle(key, handshake, FAILED, reason);
  }

  private serverLine(at: number, text: string): void {
    const assigned = ASSIGNED.exec(text);
    if (assigned) return this.peerLine(at, `${assigned[2]}:${assigned[3]}`, assigned[2], assigned[1], text);
    const rejected = REJECTED.exec(text);
    if (rejected) {
      this.pendingDenial = `client-deny: ${slug(rejected[1]) || 'no-reason'}`;
      return;
    }
    const reason = PACKET_REFUSALS.find(([logged]) => text.includes(logged))?.[1];
    const from = reason && PACKET_FROM.exec(text);
    if (!reason || !from) return;
    this.refuse(at, `${from[1]}:${from[2]}`, from[1], reason);
  }

  /** A refusal before TLS: one attempt per peer per hand-window, since a client re-sends its first packet within it. */
  private refuse(at: number, key: string, ip: string, reason: string): void {
    const previous = this.refused.get(key);
    this.refused.set(key, at);
    if (previous !== undefined && at - previous < HAND_WINDOW_MS) return;
    if (this.refused.size > MAX_OPEN) this.refused.delete(this.refused.keys().next().value!);
    this.record(attemptOf(at, FAILED, reason, ip));
  }

  private settle(key: string, handshake: Handshake, status: string, reason?: string): void {
    this.open.delete(key);
    this.markSettled(key, handshake.seen);
    const attempt = attemptOf(handshake.at, status, reason, handshake.ip);
    attempt.commonName = handshake.commonName;
    attempt.clientVersion = handshake.guiVersion ?? handshake.version;
    attempt.platform = handshake.platform;
    attempt.tls = handshake.tls;
    this.record(attempt);
    if (status === SUCCESSFUL) {
      this.admitted.set(key, attempt);
      if (this.admitted.size > MAX_OPEN) this.admitted.delete(this.admitted.keys().next().value!);
    }
  }

  private markSettled(key: string, at: number): void {
    this.settled.set(key, at);
    if (this.settled.size > MAX_OPEN) this.settled.delete(this.settled.keys().next().value!);
  }

  private record(attempt: ConnectionAttempt): void {
    if (this.options.from === undefined || attempt.at >= this.options.from) this.attempts.push(attempt);
  }

  private evictOldest(): void {
    const [key, handshake] = this.open.entries().next().value!;
    this.settle(key, handshake, 'incomplete');
  }
}

/** Every field present (absent ones undefined): one object shape keeps the summary's property reads fast. */
function attemptOf(at: number, status: string, reason: string | undefined, sourceIp: string): ConnectionAttempt {
  return {
    at,
    status,
    reason,
    commonName: undefined,
    sourceIp,
    clientVersion: undefined,
    platform: undefined,
    connectionId: undefined,
    tls: undefined,
  };
}

/** What a peer's line says about why its attempt failed, if it says so. */
function failureReason(text: string): string | undefined {
  const verify = VERIFY_ERROR.exec(text);
  if (verify) return VERIFY_REASONS[verify[1].trim()] ?? slug(verify[1]);
  if (text.startsWith('CRL CHECK FAILED')) return 'certificate-revoked';
  if (text.includes("'AUTH_FAILED") || text.startsWith('TLS Auth Error')) return 'auth-failed';
  if (text.startsWith('TLS Error: TLS key negotiation failed')) return 'tls-handshake-timeout';
  if (
    text.startsWith('TLS Error: TLS handshake failed') ||
    text.startsWith('Fatal TLS error') ||
    text.startsWith('SIGUSR1[soft,tls-error]')
  )
    return 'tls-handshake-failed';
  return undefined;
}
