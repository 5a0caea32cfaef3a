import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) /;
const two = (n: number) => String(n).padStart(2, '0');

/**
 * The OpenVPN server log captured in test/fixtures/connection-logs, moved in time so that its last
 * line was written `agoMs` before now (OpenVPN writes local time): six attempts, two successful.
 */
export function recentServerLog(agoMs: number): string {
  const lines = readFileSync(join(__dirname, '..', 'fixtures', 'connection-logs', 'openvpn-2.6.14-server.log'), 'utf8').split('\n');
  const local = (match: RegExpExecArray) => new Date(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +match[6]).getTime();
  const last = Math.max(...lines.map((line) => STAMP.exec(line)).filter((m): m is RegExpExecArray => m !== null).map(local));
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
