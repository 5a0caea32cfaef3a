import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAwsConnectionLogEvent, type ConnectionAttempt } from '../../src/domain/connection-log';
import type { ConnectionLogRead } from '../../src/ports';

const FIXTURES = join(__dirname, '..', 'fixtures', 'connection-logs');

/** What a source would return for these attempts. */
export function logRead(attempts: ConnectionAttempt[], extra: Partial<ConnectionLogRead> = {}): ConnectionLogRead {
  return { attempts, events: attempts.length, malformed: 0, ignored: 0, unrecognisedFields: new Set(), ...extra };
}

/** The AWS fixture's lines, one CloudWatch event message each. */
export const awsFixtureLines = () =>
  readFileSync(join(FIXTURES, 'aws-client-vpn-connection-log.jsonl'), 'utf8').split('\n').slice(0, -1);

/** The AWS fixture read the way the CloudWatch source reads its events. */
export function awsFixtureRead(extra: Partial<ConnectionLogRead> = {}): ConnectionLogRead {
  const result = logRead([], extra);
  for (const line of awsFixtureLines()) {
    result.events++;
    const entry = parseAwsConnectionLogEvent(line, undefined, result.unrecognisedFields);
    if (entry === 'malformed') result.malformed++;
    else if (entry === 'other') result.ignored++;
    else result.attempts.push(entry);
  }
  return result;
}

const STAMP = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) /;
const two = (n: number) => String(n).padStart(2, '0');

/**
 * The OpenVPN server log captured in test/fixtures/connection-logs (or `file`), moved in time so that its
 * last line was written `agoMs` before now (OpenVPN writes local time): six attempts, two successful.
 */
export function recentServerLog(agoMs: number, file = join(FIXTURES, 'openvpn-2.6.14-server.log')): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const local = (match: RegExpExecArray) =>
    new Date(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +match[6]).getTime();
  const last = Math.max(
    ...lines
      .map((line) => STAMP.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(local),
  );
  const shift = Date.now() - agoMs - last;
  return lines
    .map((line) => {
      const match = STAMP.exec(line);
      if (!match) return line;
      const d = new Date(local(match) + shift);
      return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${line.slice(match[0].length)}`;
    })
    .join('\n');
}

/** The TLS fixtures (test/fixtures/tls), one failing client each, then one that connects, a minute apart, ending `agoMs` ago. */
export function recentTlsLog(agoMs: number): string {
  const names = ['cipher-refused', 'crl-expired', 'revoked', 'no-tls-crypt', 'tls-version', 'timeout', 'connected'];
  return names
    .map((name, i) =>
      recentServerLog(agoMs + (names.length - 1 - i) * 60_000, join(FIXTURES, '..', 'tls', `${name}.log`)),
    )
    .join('\n');
}
