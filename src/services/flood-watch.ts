import { FAILED } from '../domain/connection-log';
import { VpnChatopsError, messageOf } from '../domain/errors';
import { DROPPED_BEFORE_TLS } from '../domain/openvpn-log';
import { HOUR_MS, MINUTE_MS } from '../domain/time';
import type {
  Clock,
  ConnectionLogSource,
  FloodAlert,
  FloodAlertSink,
  FloodSource,
  FloodState,
  FloodStateStore,
} from '../ports';
import { InsightWindow, summarizeConnections } from './connection-insights';

/** How often the watch runs: the scheduler's `floods` task on AWS, a timer under `npm start`. */
export const FLOOD_WATCH_EVERY_MS = 15 * MINUTE_MS;
/** Sources listed in one alert; the rest are counted. */
export const FLOOD_SOURCES_SHOWN = 20;
/** Sources remembered as already told, so one that comes and goes does not alert each time. */
const SOURCES_REMEMBERED = 500;
/** A flood whose rate doubled since it was told is a new situation. */
const RATE_CHANGE = 2;

export interface FloodWatchDeps {
  sources: ConnectionLogSource[];
  state: FloodStateStore;
  alerts: FloodAlertSink;
  clock: Clock;
}

export interface FloodWatchReport {
  watched: string[];
  /** Endpoints with no connection log configured: nothing to watch there. */
  unwatched: string[];
  alerted: { endpoint: string; kind: FloodAlert['kind'] }[];
  /** Logs that could not be read, alerts that could not be recorded: the next round tries again. */
  problems: string[];
}

type Finding = Omit<FloodAlert, 'kind' | 'previous'>;

/**
 * The last hour of one log, through the same rules as `/vpn logs` (services/connection-insights.ts), and every
 * flooding address in it, listed in the alert or not.
 */
async function find(source: ConnectionLogSource, now: Date): Promise<{ finding: Finding; allSources: string[] }> {
  const window: InsightWindow = { from: now.getTime() - HOUR_MS, to: now.getTime(), hours: 1 };
  const read = await source.read(new Date(window.from), new Date(window.to));
  const summary = summarizeConnections(source.endpoint, read, window);
  const flooding = new Map(summary.floods.map((flood) => [flood.ip, { dropped: 0, failed: 0 }]));
  for (const attempt of read.attempts) {
    const tally = attempt.sourceIp === undefined ? undefined : flooding.get(attempt.sourceIp);
    if (!tally || attempt.status !== FAILED || attempt.at < window.from || attempt.at >= window.to) continue;
    tally.failed++;
    if (DROPPED_BEFORE_TLS.has(attempt.reason ?? '')) tally.dropped++;
  }
  const sources = summary.floods.map((flood): FloodSource => {
    const tally = flooding.get(flood.ip)!;
    return { ip: flood.ip, failedPerHour: flood.peakPerHour, droppedBeforeTls: tally.dropped * 2 > tally.failed };
  });
  const finding: Finding = {
    endpoint: source.endpoint,
    selfHosted: !source.endpoint.startsWith('aws-client-vpn:'),
    sources: sources.slice(0, FLOOD_SOURCES_SHOWN),
    moreSources: Math.max(0, sources.length - FLOOD_SOURCES_SHOWN),
    ratePerHour: sources.reduce((sum, each) => sum + each.failedPerHour, 0),
    failingNames: summary.repeatFailures
      .filter((name) => name.stillFailing)
      .map(({ commonName, failed, topReason }) => ({ commonName, failed, ...(topReason && { topReason }) })),
    from: new Date(window.from),
    to: new Date(window.to),
  };
  return { finding, allSources: sources.map((each) => each.ip) };
}

/** Whether `finding` differs enough from what was told to tell again, and how. */
function change(finding: Finding, told: FloodState | undefined, allSources: string[]): FloodAlert['kind'] | undefined {
  const active = finding.sources.length > 0 || finding.failingNames.length > 0;
  if (!told?.active) return active ? 'started' : undefined;
  if (!active) return 'over';
  const known = new Set(told.sources);
  const names = new Set(told.failingNames);
  if (allSources.some((ip) => !known.has(ip))) return 'changed';
  if (finding.failingNames.some((name) => !names.has(name.commonName))) return 'changed';
  if (told.ratePerHour > 0 && finding.ratePerHour >= told.ratePerHour * RATE_CHANGE) return 'changed';
  return undefined;
}

async function watchOne(deps: FloodWatchDeps, source: ConnectionLogSource, now: Date, report: FloodWatchReport) {
  let finding: Finding;
  let current: string[];
  try {
    ({ finding, allSources: current } = await find(source, now));
  } catch (error) {
    // An unreadable log says nothing about the flood: no "over" from it, the next round looks again.
    if (error instanceof VpnChatopsError && error.code === 'INVALID_CONFIG') report.unwatched.push(source.endpoint);
    else report.problems.push(`${source.endpoint}: ${messageOf(error)}`);
    return;
  }
  report.watched.push(source.endpoint);
  const told = await deps.state.get(source.endpoint);
  const kind = change(finding, told, current);
  if (kind === undefined) return;
  const active = kind !== 'over';
  const next: FloodState = {
    endpoint: source.endpoint,
    version: (told?.version ?? 0) + 1,
    active,
    sources: active
      ? [...new Set([...(kind === 'changed' ? told!.sources : []), ...current])].slice(-SOURCES_REMEMBERED)
      : [],
    ratePerHour: active ? finding.ratePerHour : 0,
    failingNames: active
      ? [
          ...new Set([
            ...(kind === 'changed' ? told!.failingNames : []),
            ...finding.failingNames.map((name) => name.commonName),
          ]),
        ].slice(-SOURCES_REMEMBERED)
      : [],
    alertedAt: now,
  };
  // Recorded before anyone is told, and only the runner whose write lands tells: two runners alert once.
  if (!(await deps.state.save(next))) return;
  const previous = told?.active
    ? { sources: told.sources.length, ratePerHour: told.ratePerHour, since: told.alertedAt }
    : undefined;
  try {
    await deps.alerts.flood({ kind, ...finding, ...(previous && { previous }) });
    report.alerted.push({ endpoint: source.endpoint, kind });
  } catch (error) {
    report.problems.push(`${source.endpoint}: the ${kind} alert was not sent: ${messageOf(error)}`);
    // Untold, so not recorded as told: put back what was told, and the next round finds the change again.
    const undo: FloodState = told
      ? { ...told, version: next.version + 1 }
      : { ...next, version: next.version + 1, active: false, sources: [], ratePerHour: 0, failingNames: [] };
    await deps.state.save(undo).catch(() => undefined);
  }
}

/**
 * Every 15 minutes, with no admin asking: each endpoint's last hour of connection log (the agent's shipped
 * log for an agent-served endpoint) through the flood and "keeps failing" rules of `/vpn logs`. Admins hear
 * once when a flood starts, again only when it changes (new sources or names, the rate doubled), and when it
 * is over. One endpoint failing never stops the others.
 */
export async function watchFloods(deps: FloodWatchDeps): Promise<FloodWatchReport> {
  const report: FloodWatchReport = { watched: [], unwatched: [], alerted: [], problems: [] };
  const now = deps.clock.now();
  await Promise.all(
    deps.sources.map((source) =>
      watchOne(deps, source, now, report).catch((error: unknown) =>
        report.problems.push(`${source.endpoint}: ${messageOf(error)}`),
      ),
    ),
  );
  return report;
}
