import type { ConnectionAttempt } from '../../domain/connection-log';
import { messageOf } from '../../domain/errors';
import { OpenVpnLogParser } from '../../domain/openvpn-log';
import { HOUR_MS, MINUTE_MS } from '../../domain/time';
import type { AgentLog, Clock, GrowingLogFile, LogFilePosition, ShippedLog } from '../../ports';

/** How far back the first round reaches: what `/vpn logs` and the flood rules look at. */
export const BACKFILL_HOURS = 24;

/**
 * How long after its end an hour is final: OpenVPN settles a handshake within its hand-window (60 s by
 * default), so the attempts that started in the hour have all been logged by then.
 */
export const SETTLE_MS = 2 * MINUTE_MS;

export interface LogShippingDeps {
  shipped: ShippedLog;
  clock: Clock;
  log: AgentLog;
}

/** One hour of the log as read so far. */
interface HourTally {
  attempts: ConnectionAttempt[];
  events: number;
  malformed: number;
  truncated?: string;
}

/**
 * What the agent keeps between rounds for one endpoint's log: where the file was left, the parser with
 * the handshakes still open, and the hours that may still change. Hours before `final` are shipped whole
 * and forgotten; only a restart (or a failed read) reads the file from its start again.
 */
export interface LogShippingState {
  position?: LogFilePosition;
  parser?: OpenVpnLogParser;
  hours: Map<number, HourTally>;
  /** Hours starting before this are final: lines and attempts for them are no longer taken. */
  final?: number;
}

export const newLogShippingState = (): LogShippingState => ({ hours: new Map() });

const hourOf = (at: number) => Math.floor(at / HOUR_MS) * HOUR_MS;

function tallyOf(state: LogShippingState, at: number): HourTally | undefined {
  const hour = hourOf(at);
  if (state.final === undefined || hour < state.final) return undefined;
  let tally = state.hours.get(hour);
  if (!tally) {
    tally = { attempts: [], events: 0, malformed: 0 };
    state.hours.set(hour, tally);
  }
  return tally;
}

function forget(state: LogShippingState): void {
  state.position = state.parser = state.final = undefined;
  state.hours.clear();
}

/**
 * One round: reads what the server logged since the last round (the last day, on the first), splits it by
 * hour and ships each hour that may have changed, whole. An hour that fails to ship stops the round and
 * is shipped again the next; a read that fails starts everything over from the file's start.
 */
export async function shipLogs(deps: LogShippingDeps, source: GrowingLogFile, state: LogShippingState): Promise<void> {
  const now = deps.clock.now().getTime();
  const from = hourOf(now) - BACKFILL_HOURS * HOUR_MS;
  // Back after more than a day without shipping (another agent held the lease): the last day, as at a start.
  if (state.final !== undefined && state.final < from) forget(state);
  if (state.parser === undefined || state.final === undefined) {
    state.final = from;
    state.parser = new OpenVpnLogParser({
      now,
      from,
      // A line that cannot be placed in time was written since the last read: it counts in the current hour.
      counted: (at, malformed) => {
        const tally = tallyOf(state, at ?? deps.clock.now().getTime());
        if (!tally) return;
        tally.events++;
        if (malformed) tally.malformed++;
      },
    });
  }
  const parser = state.parser;
  // Every hour since the last gets an item, a quiet one too: a missing hour means the agent was not running.
  for (let hour = state.final; hour <= hourOf(now); hour += HOUR_MS) tallyOf(state, hour);
  parser.advance(now);
  let skipped: string | undefined;
  try {
    ({ position: state.position, skipped } = await source.readSince(state.position, (line) => parser.push(line)));
  } catch (error) {
    // Some lines may have been counted already: only a read from the start counts each line once.
    forget(state);
    deps.log.error(
      `${source.endpoint}: could not read the server's log (${messageOf(error)}); the next round reads it from the start`,
      error,
    );
    return;
  }
  const final = hourOf(now - SETTLE_MS);
  parser.settleOpen(final);
  for (const attempt of parser.take()) tallyOf(state, attempt.at)?.attempts.push(attempt);
  state.final = Math.max(state.final, final);
  if (skipped !== undefined) for (const tally of state.hours.values()) tally.truncated = skipped;
  for (const [hour, tally] of [...state.hours].sort(([a], [b]) => a - b)) {
    try {
      await deps.shipped.ship(source.endpoint, new Date(hour), { ...tally, ignored: 0 });
    } catch (error) {
      deps.log.error(
        `${source.endpoint}: could not ship the connection log for ${new Date(hour).toISOString()} (${messageOf(error)}); retried next round`,
        error,
      );
      return;
    }
    if (hour < state.final) state.hours.delete(hour);
  }
}
