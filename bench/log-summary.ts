import { parseAwsConnectionLogEvent } from '../src/domain/connection-log';
import type { ConnectionLogRead } from '../src/ports';
import { insightWindow, summarizeConnections } from '../src/services/connection-insights';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { ms, ratio, report } from './lib';

const EVENTS = 100_000;
const NOW = new Date('2026-03-08T12:00:00Z');
const REASONS = [
  'client-connect-failed',
  'client-connect-handler-timed-out',
  'client-connect-handler-other-execution-error',
  'client-connect-handler-throttled',
  'client-connect-handler-invalid-response',
  'client-connect-handler-service-error',
];

/** A deterministic stream of numbers in [0, 1): every run summarizes the same week. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const two = (n: number) => String(n).padStart(2, '0');
const awsTime = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
};

/**
 * A week of an endpoint's connection log in the documented format: 2,000 people from 5,000 addresses,
 * connections logged again as they are updated, a flood of 20,000 failures from one address in one
 * afternoon, and 1% malformed lines.
 */
export function syntheticConnectionLog(count = EVENTS): { message: string; timestamp: number }[] {
  const next = random(42);
  const from = NOW.getTime() - 168 * 3_600_000;
  const events: { message: string; timestamp: number }[] = [];
  let connection = 0;
  while (events.length < count) {
    const roll = next();
    if (roll < 0.01) {
      events.push({ message: '{"connection-log-type":"connection-attempt","connection-attempt-st', timestamp: from });
      continue;
    }
    const flood = roll < 0.21;
    const start = flood
      ? NOW.getTime() - 30 * 3_600_000 + Math.floor(next() * 3_600_000)
      : from + Math.floor(next() * 168 * 3_600_000);
    const failed = flood || next() < 0.1;
    const user = Math.floor(next() * 2000);
    const entry = {
      'connection-log-type': 'connection-attempt',
      'connection-attempt-status': failed ? 'failed' : 'successful',
      'connection-reset-status': 'NA',
      'connection-attempt-failure-reason': failed ? REASONS[Math.floor(next() * REASONS.length)] : 'NA',
      'connection-id': `cvpn-connection-${(++connection).toString(16).padStart(17, '0')}`,
      'client-vpn-endpoint-id': 'cvpn-endpoint-0123456789abcdef0',
      'transport-protocol': 'udp',
      'connection-start-time': awsTime(start),
      'connection-last-update-time': awsTime(start),
      'client-ip': failed ? 'NA' : `10.0.${user % 250}.${(user >> 3) % 250}`,
      'common-name': flood
        ? 'NA'
        : `user-${user}.laptop-U0${user.toString(36).toUpperCase().padStart(7, '0')}.vpn.example.com`,
      'device-type': ['mac', 'windows', 'linux'][user % 3],
      'device-ip': flood ? '148.163.126.72' : `198.51.${Math.floor(next() * 20)}.${Math.floor(next() * 250)}`,
      port: String(1024 + Math.floor(next() * 60_000)),
      'ingress-bytes': '0',
      'egress-bytes': '0',
      'ingress-packets': '0',
      'egress-packets': '0',
      'connection-end-time': 'NA',
      'client-openvpn-version': `2.${5 + (user % 2)}.${user % 12}`,
    };
    events.push({ message: JSON.stringify(entry), timestamp: start + 5000 });
    // A quarter of successful connections are logged again, later, with their counters updated.
    if (!failed && next() < 0.25 && events.length < count) {
      events.push({
        message: JSON.stringify({
          ...entry,
          'connection-last-update-time': awsTime(start + 600_000),
          'ingress-bytes': '183342',
        }),
        timestamp: start + 600_000,
      });
    }
  }
  return events;
}

/** Ours: the lenient parser and the summary, exactly as `/vpn logs` runs them on what CloudWatch returns. */
function ours(events: { message: string; timestamp: number }[]) {
  const read: ConnectionLogRead = { attempts: [], events: 0, malformed: 0, ignored: 0, unrecognisedFields: new Set() };
  for (const event of events) {
    read.events++;
    const entry = parseAwsConnectionLogEvent(event.message, event.timestamp, read.unrecognisedFields);
    if (entry === 'malformed') read.malformed++;
    else if (entry === 'other') read.ignored++;
    else read.attempts.push(entry);
  }
  return summarizeConnections('aws-client-vpn:cvpn-endpoint-0123456789abcdef0', read, insightWindow(168, NOW));
}

type Row = Record<string, string>;

/**
 * The baseline: what one writes in plain JS without thinking about speed — JSON.parse in a try, an
 * object per group-by, `new Date()` for every time, sort everything — computing the same counts
 * (per connection once, by status, reason, name, address, version, per hour, failures per address and hour).
 */
function naive(events: { message: string; timestamp: number }[]) {
  const rows: Row[] = [];
  for (const event of events) {
    try {
      rows.push(JSON.parse(event.message) as Row);
    } catch {
      // skipped
    }
  }
  const latest: Record<string, Row> = {};
  for (const row of rows) latest[row['connection-id']] = row;
  const unique = Object.values(latest).filter((row) => {
    const at = new Date(`${row['connection-start-time'].replace(' ', 'T')}Z`).getTime();
    return at >= NOW.getTime() - 168 * 3_600_000 && at < NOW.getTime();
  });
  const groupBy = (key: string) => {
    const counts: Record<string, number> = {};
    for (const row of unique) counts[row[key]] = (counts[row[key]] ?? 0) + 1;
    return Object.entries(counts).sort((a, b) => b[1] - a[1]);
  };
  const hourly: Record<string, number> = {};
  const ipHour: Record<string, number> = {};
  for (const row of unique) {
    const hour = new Date(`${row['connection-start-time'].replace(' ', 'T')}Z`).toISOString().slice(0, 13);
    hourly[hour] = (hourly[hour] ?? 0) + 1;
    if (row['connection-attempt-status'] === 'failed')
      ipHour[`${row['device-ip']} ${hour}`] = (ipHour[`${row['device-ip']} ${hour}`] ?? 0) + 1;
  }
  return {
    status: groupBy('connection-attempt-status'),
    reason: groupBy('connection-attempt-failure-reason'),
    name: groupBy('common-name'),
    ip: groupBy('device-ip'),
    version: groupBy('client-openvpn-version'),
    hourly,
    floods: Object.entries(ipHour).filter(([, n]) => n >= 30),
  };
}

/**
 * p50 of wall time and of this process's CPU time: on a shared 2-core machine the wall figure swings
 * with everyone else's load, the CPU figure much less, so both are printed (with the load average).
 */
function timed(fn: () => unknown, runs: number, warmup: number): { wall: number; wallP99: number; cpu: number } {
  for (let i = 0; i < warmup; i++) fn();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    fn();
    walls.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1000);
  }
  const p = (values: number[], q: number) =>
    [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)];
  return { wall: p(walls, 0.5), wallP99: p(walls, 0.99), cpu: p(cpus, 0.5) };
}

export async function logSummaryBenchmark(): Promise<void> {
  const events = syntheticConnectionLog();
  const summary = ours(events);
  const check = naive(events);
  if (summary.floods.length !== 1 || check.floods.length !== 1)
    throw new Error('the synthetic week must hold exactly one flood');
  const stats = timed(() => ours(events), 9, 2);
  const baseline = timed(() => naive(events), 5, 1);
  report('log-summary-100k', {
    ms: ms(stats.wall),
    p99_ms: ms(stats.wallP99),
    cpu_ms: ms(stats.cpu),
    naive_js_ms: ms(baseline.wall),
    naive_js_cpu_ms: ms(baseline.cpu),
    ratio: ratio(baseline.wall, stats.wall),
    load: loadavg()[0].toFixed(1),
    events: events.length,
    attempts: summary.attempts,
    malformed: summary.input.malformed,
  });
}

if (require.main === module) {
  logSummaryBenchmark().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
