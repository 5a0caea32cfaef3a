import { HOUR_MS } from '../../domain/time';
import { messageOf } from '../../domain/errors';
import type { Clock, ConnectionLogSource, ShippedLog } from '../../ports';
import type { AgentLog } from './agent-log';

/** How far back the first round reaches: what `/vpn logs` and the flood rules look at. */
export const BACKFILL_HOURS = 24;

export interface LogShippingDeps {
  shipped: ShippedLog;
  clock: Clock;
  log: AgentLog;
}

const hourOf = (at: Date) => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);

/**
 * The hours to (re-)ship, oldest first: after `lastShipped` (an hour once shipped may have grown until
 * it ended, so it is shipped once more), or the last day on the first round; never more than a day.
 */
export function hoursDue(now: Date, lastShipped?: Date): Date[] {
  const current = hourOf(now).getTime();
  const oldest = current - BACKFILL_HOURS * HOUR_MS;
  const first = lastShipped === undefined ? oldest : Math.max(oldest, hourOf(lastShipped).getTime());
  const hours: Date[] = [];
  for (let at = first; at <= current; at += HOUR_MS) hours.push(new Date(at));
  return hours;
}

/**
 * Read each hour from the server's log and ship it. Returns the last hour shipped, where the next
 * round starts; an hour that fails stops the round there, so it is tried again.
 */
export async function shipLogs(
  deps: LogShippingDeps,
  source: ConnectionLogSource,
  lastShipped?: Date,
): Promise<Date | undefined> {
  const now = deps.clock.now();
  let shipped = lastShipped;
  for (const hour of hoursDue(now, lastShipped)) {
    const end = new Date(Math.min(hour.getTime() + HOUR_MS, now.getTime()));
    try {
      const read = await source.read(hour, end);
      await deps.shipped.ship(source.endpoint, hour, {
        attempts: read.attempts,
        events: read.events,
        malformed: read.malformed,
        ignored: read.ignored,
        ...(read.truncated !== undefined && { truncated: read.truncated }),
      });
    } catch (error) {
      deps.log.error(
        `${source.endpoint}: could not ship the connection log for ${hour.toISOString()} (${messageOf(error)}); retried next round`,
        error,
      );
      return shipped;
    }
    shipped = hour;
  }
  return shipped;
}
