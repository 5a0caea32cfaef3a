import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OpenVpnLogParser } from '../src/domain/openvpn-log';
import { insightWindow } from '../src/services/connection-insights';
import { summarizeTls } from '../src/services/tls-troubleshooting';
import { ms, ratio, report } from './lib';

const LINES = 100_000;
const NOW = new Date('2026-12-05T12:00:00Z');
const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'tls');
/** How often each captured attempt is replayed: most clients connect, failures of every kind among them. */
const MIX: [string, number][] = [
  ['connected', 0.6],
  ['cipher-refused', 0.08],
  ['crl-expired', 0.06],
  ['revoked', 0.06],
  ['no-tls-crypt', 0.1],
  ['tls-version', 0.05],
  ['timeout', 0.05],
];
const VERSIONS = ['2.6.14', '2.6.8', '2.5.9', '2.4.7', '3.git::d3f8b18b'];
const STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /;
const PEER = /127\.0\.0\.1:\d+/g;

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The lines one client's attempt wrote in a captured log, after the server's start-up. */
function attemptLines(name: string): string[] {
  const lines = readFileSync(join(FIXTURES, `${name}.log`), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.includes('Initialization Sequence Completed'));
  return lines.slice(start + 1).filter((line) => STAMP.test(line));
}

const two = (n: number) => String(n).padStart(2, '0');
const stamp = (at: number) => {
  const d = new Date(at);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} `;
};

/**
 * A day of a busy server's log from the real captures: each attempt replayed from another address,
 * port, name and client version, a few seconds apart, until there are `count` lines.
 */
export function syntheticTlsLog(count = LINES): string[] {
  const next = random(17);
  const templates = MIX.map(([name, weight]) => ({ lines: attemptLines(name), weight }));
  const out: string[] = [];
  let at = NOW.getTime() - 23 * 3_600_000;
  for (let i = 0; out.length < count; i++) {
    let roll = next();
    const template = templates.find((t) => (roll -= t.weight) < 0) ?? templates[0];
    const peer = `10.${i % 250}.${(i >> 8) % 250}.${1 + Math.floor(next() * 250)}:${1024 + Math.floor(next() * 60_000)}`;
    const version = VERSIONS[Math.floor(next() * VERSIONS.length)];
    const time = stamp(at);
    for (const line of template.lines) {
      if (out.length >= count) break;
      out.push(
        time +
          line
            .replace(STAMP, '')
            .replace(PEER, peer)
            .replace(/dana-U0TLS0001/g, `user-${i % 3000}`)
            .replace('IV_VER=2.6.14', `IV_VER=${version}`),
      );
    }
    at += 800;
  }
  return out;
}

/** Ours: the server-log reader and the grouping, as `/vpn logs tls` runs them. */
function ours(lines: string[]) {
  const parser = new OpenVpnLogParser({ now: NOW.getTime() });
  for (const line of lines) parser.push(line);
  const attempts = parser.finish();
  return summarizeTls(
    'openvpn:bench',
    { attempts, events: parser.lines, malformed: parser.malformed, ignored: 0, unrecognisedFields: new Set() },
    insightWindow(24, NOW),
  );
}

/** Per class, the patterns an awk pipeline would `grep`/`~` for: one regex per class, tried on every line. */
const NAIVE_CLASSES: [string, RegExp][] = [
  [
    'cipher-negotiation',
    /no common cipher|no shared cipher|failed to negotiate cipher|client does not support any cipher/i,
  ],
  ['protocol-version', /unsupported protocol|wrong version number|alert: protocol version|tls-version-min/i],
  ['crl-expired', /VERIFY ERROR.*CRL has expired/],
  ['revoked', /VERIFY ERROR.*certificate revoked|CRL CHECK FAILED/],
  ['certificate-verify', /VERIFY ERROR|certificate verify failed/],
  ['tls-crypt', /tls-crypt unwrap|HMAC authentication failed|cannot locate HMAC/],
  ['timeout', /TLS key negotiation failed to occur/],
  ['approval-refused', /connection rejected|AUTH_FAILED/],
];

/**
 * The baseline: seed 003's awk pipeline written in JS — split each line into fields, a regex per class
 * on every line, a record per peer address in a plain object, then `sort | uniq -c | sort -r` over
 * joined keys. It computes the same failure count and groups, without the reader's settling rules.
 */
function naive(lines: string[]) {
  const peers: Record<string, { version: string; tls: string; cipher: string; failure?: string }> = {};
  for (const line of lines) {
    const fields = line.split(/\s+/);
    const peerField = fields[2] ?? '';
    const peer = /(?:^|\/)(\d+\.\d+\.\d+\.\d+:\d+)$/.exec(peerField)?.[1] ?? /\[AF_INET\](\S+)/.exec(line)?.[1];
    if (!peer) continue;
    const record = (peers[peer] ??= { version: '-', tls: '-', cipher: '-' });
    const version = /IV_VER=(\S+)/.exec(line);
    if (version) record.version = version[1];
    const control = /Control Channel: (\S+), cipher \S+ (\S+),/.exec(line);
    if (control) [record.tls, record.cipher] = [control[1], control[2]];
    for (const [failure, pattern] of NAIVE_CLASSES)
      if (pattern.test(line)) {
        record.failure ??= failure;
        break;
      }
  }
  const keys = Object.values(peers)
    .filter((record) => record.failure !== undefined)
    .map((record) => [record.version, record.tls, record.cipher, record.failure].join(' '))
    .sort();
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return { failed: keys.length, groups: Object.entries(counts).sort((a, b) => b[1] - a[1]) };
}

function timed(fn: () => unknown, runs: number, warmup: number): { p50: number; p99: number } {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  return { p50: at(0.5), p99: at(0.99) };
}

export async function tlsSummaryBenchmark(): Promise<void> {
  const lines = syntheticTlsLog();
  const summary = ours(lines);
  const check = naive(lines);
  if (Math.abs(summary.failed - check.failed) > summary.failed * 0.01)
    throw new Error(`ours and the baseline disagree: ${summary.failed} failed against ${check.failed}`);
  const stats = timed(() => ours(lines), 9, 2);
  const baseline = timed(() => naive(lines), 5, 1);
  report('tls-summary-100k', {
    ms: ms(stats.p50),
    p99_ms: ms(stats.p99),
    naive_ms: ms(baseline.p50),
    ratio: ratio(baseline.p50, stats.p50),
    load: loadavg()[0].toFixed(1),
    lines: lines.length,
    attempts: summary.attempts,
    failed: summary.failed,
    groups: summary.distinctGroups,
  });
}

if (require.main === module) {
  tlsSummaryBenchmark().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
