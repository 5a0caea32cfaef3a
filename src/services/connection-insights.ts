import { VpnChatopsError, messageOf } from '../domain/errors';
import { FAILED, MAX_HOURS, SUCCESSFUL, type ConnectionAttempt } from '../domain/connection-log';
import type { ConnectionLogRead, ConnectionLogSource } from '../ports';
import { HOUR_MS } from '../domain/time';

/**
 * When an address or a certificate name deserves a second look. Documented in docs/operations.md#connection-insights;
 * tests pin them.
 * - A **flood**: one address with at least `floodFailuresPerHour` failed attempts within one hour of the
 *   window, i.e. a failure every two minutes, sustained. Seed 002's attacker made about 3,600 an hour;
 *   a person whose client retries a broken profile stays well below (a retry per hand-window, ~60 an
 *   hour at most, only while the laptop is on, and it shows up under "keeps failing" too).
 * - **Keeps failing**: a certificate name with at least `repeatFailures` failed attempts in the window.
 *   "Still failing" when its latest attempt failed too.
 */
export const INSIGHT_RULES = {
  floodFailuresPerHour: 30,
  repeatFailures: 3,
  /** Entries per ranked list; the rest are counted, not listed. */
  top: 10,
} as const;

export interface InsightWindow {
  /** The start of the clock hour `hours` before `to`, so that hourly bars are clock hours. */
  from: number;
  to: number;
  hours: number;
  /** What was asked for, when more than `MAX_HOURS`. */
  requestedHours?: number;
}

/** At least `hours` back from `now` (capped at MAX_HOURS), from the start of that clock hour. */
export function insightWindow(hours: number, now: Date): InsightWindow {
  if (!Number.isInteger(hours) || hours < 1)
    throw new RangeError(`hours must be a whole number of at least 1, not ${hours}`);
  const capped = Math.min(hours, MAX_HOURS);
  const to = now.getTime();
  const from = Math.floor((to - capped * HOUR_MS) / HOUR_MS) * HOUR_MS;
  return { from, to, hours: capped, ...(hours > MAX_HOURS && { requestedHours: hours }) };
}

/** One bar per clock hour of the window; the last one may be a part hour. */
export const hourCount = (window: InsightWindow) => Math.ceil((window.to - window.from) / HOUR_MS);

/** One row of a ranked list: `key` is '' for attempts the log names no value for. */
export interface Tally {
  key: string;
  attempts: number;
  failed: number;
}

export interface Ranking {
  top: Tally[];
  /** Distinct keys in all, listed or not. */
  distinct: number;
}

export interface HourBucket {
  start: number;
  successful: number;
  failed: number;
  other: number;
}

export interface Flood {
  ip: string;
  failed: number;
  successful: number;
  peakPerHour: number;
  peakHourStart: number;
  commonNames: number;
  firstAt: number;
  lastAt: number;
}

export interface RepeatFailure {
  commonName: string;
  failed: number;
  successful: number;
  lastAt: number;
  stillFailing: boolean;
  topReason?: string;
  ips: number;
}

export interface ConnectionSummary {
  endpoint: string;
  window: InsightWindow;
  attempts: number;
  successful: number;
  failed: number;
  byStatus: Ranking;
  byReason: Ranking;
  byCommonName: Ranking;
  byIp: Ranking;
  byClientVersion: Ranking;
  hourly: HourBucket[];
  floods: Flood[];
  repeatFailures: RepeatFailure[];
  /** How the log read: what was skipped, and why reading may have stopped early. */
  input: {
    events: number;
    malformed: number;
    /** Well-formed entries that are not attempts (e.g. AWS connection-reset entries). */
    ignored: number;
    /** Attempts that started outside the window (AWS keeps updating old connections' entries). */
    outsideWindow: number;
    /** Repeated entries of one connection, counted once. */
    duplicates: number;
    unrecognisedFields: string[];
    truncated?: string;
    notes: string[];
  };
}

export interface EndpointInsights {
  endpoint: string;
  summary?: ConnectionSummary;
  /** Why this endpoint's log could not be read; the others are still summarized. */
  error?: string;
}

export interface InsightsReport {
  window: InsightWindow;
  endpoints: EndpointInsights[];
}

const isDecisive = (status: string) => status === SUCCESSFUL || status === FAILED;

/**
 * The attempts inside the window, one per connection: AWS writes an entry per connection and updates
 * it as it goes, so a connection counts once, with its earliest start and its latest decisive status.
 */
export function attemptsIn(
  attempts: ConnectionAttempt[],
  from: number,
  to: number,
): { unique: ConnectionAttempt[]; duplicates: number; outside: number } {
  const byId = new Map<string, number>();
  const unique: ConnectionAttempt[] = [];
  let outside = 0;
  let duplicates = 0;
  for (const attempt of attempts) {
    if (attempt.at < from || attempt.at >= to) {
      outside++;
      continue;
    }
    const id = attempt.connectionId;
    if (id === undefined) {
      unique.push(attempt);
      continue;
    }
    const index = byId.get(id);
    if (index === undefined) {
      byId.set(id, unique.length);
      unique.push(attempt);
      continue;
    }
    duplicates++;
    const kept = unique[index];
    const merged: ConnectionAttempt = { ...attempt, ...kept, at: Math.min(kept.at, attempt.at) };
    if (isDecisive(attempt.status) || !isDecisive(kept.status)) {
      merged.status = attempt.status;
      merged.reason = attempt.reason ?? kept.reason;
    }
    unique[index] = merged;
  }
  return { unique, duplicates, outside };
}

/** A name's tally also remembers what "keeps failing" needs. */
interface NameTally extends Tally {
  successful: number;
  lastAt: number;
  lastFailed: boolean;
  reasons?: Map<string, number>;
  ips?: Set<string>;
}

class Counter<T extends Tally = Tally> {
  readonly counts = new Map<string, T>();

  constructor(private readonly create: (key: string) => T = (key) => ({ key, attempts: 0, failed: 0 }) as T) {}

  add(key: string | undefined, failed: boolean): T {
    const k = key ?? '';
    let tally = this.counts.get(k);
    if (!tally) {
      tally = this.create(k);
      this.counts.set(k, tally);
    }
    tally.attempts++;
    if (failed) tally.failed++;
    return tally;
  }

  ranking(): Ranking {
    const top = [...this.counts.values()]
      .sort((a, b) => b.attempts - a.attempts || b.failed - a.failed || (a.key < b.key ? -1 : 1))
      .slice(0, INSIGHT_RULES.top)
      .map(({ key, attempts, failed }) => ({ key, attempts, failed }));
    return { top, distinct: this.counts.size };
  }
}

/** Everything the summary says, from attempts already read; pure, so the benchmark measures exactly this. */
export function summarizeConnections(
  endpoint: string,
  read: ConnectionLogRead,
  window: InsightWindow,
): ConnectionSummary {
  const { from, to } = window;
  const hours = hourCount(window);
  const { unique, duplicates, outside } = attemptsIn(read.attempts, from, to);
  const hourly: HourBucket[] = Array.from({ length: hours }, (_, i) => ({
    start: from + i * HOUR_MS,
    successful: 0,
    failed: 0,
    other: 0,
  }));
  const status = new Counter();
  const reason = new Counter();
  const name = new Counter<NameTally>((key) => ({
    key,
    attempts: 0,
    failed: 0,
    successful: 0,
    lastAt: -Infinity,
    lastFailed: false,
  }));
  const ip = new Counter();
  const version = new Counter();
  let successful = 0;
  let failed = 0;
  for (const attempt of unique) {
    const isFailed = attempt.status === FAILED;
    const bucket = hourly[Math.floor((attempt.at - from) / HOUR_MS)];
    if (isFailed) {
      failed++;
      bucket.failed++;
      reason.add(attempt.reason ?? 'unspecified', true);
    } else if (attempt.status === SUCCESSFUL) {
      successful++;
      bucket.successful++;
    } else bucket.other++;
    status.add(attempt.status, isFailed);
    ip.add(attempt.sourceIp, isFailed);
    version.add(attempt.clientVersion, isFailed);
    const tally = name.add(attempt.commonName, isFailed);
    if (attempt.commonName !== undefined && (isFailed || attempt.status === SUCCESSFUL))
      track(tally, attempt, isFailed);
  }
  return {
    endpoint,
    window,
    attempts: unique.length,
    successful,
    failed,
    byStatus: status.ranking(),
    byReason: reason.ranking(),
    byCommonName: name.ranking(),
    byIp: ip.ranking(),
    byClientVersion: version.ranking(),
    hourly,
    floods: floods(unique, ip, window),
    repeatFailures: repeatFailures(name),
    input: {
      events: read.events,
      malformed: read.malformed,
      ignored: read.ignored,
      outsideWindow: outside,
      duplicates,
      unrecognisedFields: [...read.unrecognisedFields].sort(),
      ...(read.truncated !== undefined && { truncated: read.truncated }),
      notes: read.notes ?? [],
    },
  };
}

/** The latest decisive attempt, and for failures why and from where (a sample of addresses is enough). */
function track(tally: NameTally, attempt: ConnectionAttempt, isFailed: boolean): void {
  if (attempt.at >= tally.lastAt) {
    tally.lastAt = attempt.at;
    tally.lastFailed = isFailed;
  }
  if (!isFailed) {
    tally.successful++;
    return;
  }
  const why = attempt.reason ?? 'unspecified';
  tally.reasons ??= new Map();
  tally.reasons.set(why, (tally.reasons.get(why) ?? 0) + 1);
  tally.ips ??= new Set();
  if (attempt.sourceIp !== undefined && tally.ips.size < 100) tally.ips.add(attempt.sourceIp);
}

/** Only addresses over the threshold in the whole window can be over it in one hour: a second pass over just those. */
function floods(attempts: ConnectionAttempt[], ips: Counter, window: InsightWindow): Flood[] {
  const threshold = INSIGHT_RULES.floodFailuresPerHour;
  const candidates = new Map<string, { perHour: Uint32Array; names: Set<string>; firstAt: number; lastAt: number }>();
  for (const [ip, tally] of ips.counts) {
    if (ip !== '' && tally.failed >= threshold)
      candidates.set(ip, {
        perHour: new Uint32Array(hourCount(window)),
        names: new Set(),
        firstAt: Infinity,
        lastAt: -Infinity,
      });
  }
  if (candidates.size === 0) return [];
  for (const attempt of attempts) {
    const candidate = attempt.sourceIp === undefined ? undefined : candidates.get(attempt.sourceIp);
    if (!candidate) continue;
    if (attempt.status === FAILED) candidate.perHour[Math.floor((attempt.at - window.from) / HOUR_MS)]++;
    if (attempt.commonName !== undefined && candidate.names.size < 1000) candidate.names.add(attempt.commonName);
    candidate.firstAt = Math.min(candidate.firstAt, attempt.at);
    candidate.lastAt = Math.max(candidate.lastAt, attempt.at);
  }
  const found: Flood[] = [];
  for (const [ip, candidate] of candidates) {
    let peak = 0;
    for (let i = 1; i < candidate.perHour.length; i++) if (candidate.perHour[i] > candidate.perHour[peak]) peak = i;
    const peakPerHour = candidate.perHour[peak];
    if (peakPerHour < threshold) continue;
    const tally = ips.counts.get(ip)!;
    found.push({
      ip,
      failed: tally.failed,
      successful: tally.attempts - tally.failed,
      peakPerHour,
      peakHourStart: window.from + peak * HOUR_MS,
      commonNames: candidate.names.size,
      firstAt: candidate.firstAt,
      lastAt: candidate.lastAt,
    });
  }
  return found.sort((a, b) => b.failed - a.failed);
}

function repeatFailures(names: Counter<NameTally>): RepeatFailure[] {
  const found: RepeatFailure[] = [];
  for (const [commonName, tally] of names.counts) {
    if (commonName === '' || tally.failed < INSIGHT_RULES.repeatFailures) continue;
    let topReason: string | undefined;
    for (const [why, count] of tally.reasons ?? [])
      if (topReason === undefined || count > tally.reasons!.get(topReason)!) topReason = why;
    found.push({
      commonName,
      failed: tally.failed,
      successful: tally.successful,
      lastAt: tally.lastAt,
      stillFailing: tally.lastFailed,
      topReason,
      ips: tally.ips?.size ?? 0,
    });
  }
  return found.sort(
    (a, b) =>
      Number(b.stillFailing) - Number(a.stillFailing) || b.failed - a.failed || (a.commonName < b.commonName ? -1 : 1),
  );
}

/**
 * Every endpoint's log over one window, read side by side and summarized by `summarize`; one endpoint failing
 * does not hide the others: it carries the reason instead.
 */
export function readEachEndpoint<Summary>(
  sources: ConnectionLogSource[],
  window: InsightWindow,
  summarize: (endpoint: string, read: ConnectionLogRead, window: InsightWindow) => Summary,
): Promise<{ endpoint: string; summary?: Summary; error?: string }[]> {
  return Promise.all(
    sources.map(async (source) => {
      try {
        const read = await source.read(new Date(window.from), new Date(window.to));
        return { endpoint: source.endpoint, summary: summarize(source.endpoint, read, window) };
      } catch (error) {
        const reason =
          error instanceof VpnChatopsError
            ? error.message
            : `${source.endpoint}: the connection log could not be read (${messageOf(error)}).`;
        return { endpoint: source.endpoint, error: reason };
      }
    }),
  );
}

/** Every endpoint's log over one window, read side by side; one endpoint failing does not hide the others. */
export async function connectionInsights(
  sources: ConnectionLogSource[],
  hours: number,
  now: Date,
): Promise<InsightsReport> {
  const window = insightWindow(hours, now);
  return { window, endpoints: await readEachEndpoint(sources, window, summarizeConnections) };
}
