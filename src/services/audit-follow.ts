import { setTimeout as wait } from 'node:timers/promises';
import type { AuditEntry } from '../domain/audit';
import type { AuditLog, Clock } from '../ports';

export interface FollowOptions {
  /** The first entry may be this old. */
  since: Date;
  /** Stops the loop; the poll in flight finishes first. */
  signal: AbortSignal;
  clock: Clock;
  intervalMs?: number;
  /**
   * How far behind the newest poll each poll reads again: an entry's `at` is its writer's clock, taken
   * before a slow step at times, so it can land behind entries already read.
   */
  lookbackMs?: number;
}

const INTERVAL_MS = 1_000;
const LOOKBACK_MS = 60_000;

/**
 * Calls `onEntry` for each audit entry from `since` on, oldest first, and then for each new one, until
 * `signal` aborts. It polls the audit's day partitions, whose sort key starts with the time: the way every
 * table `vpnctl` reaches can answer (DynamoDB Local and AWS alike, with the Query it already may send),
 * where a Streams reader would need the table's stream enabled, a second client and shard iterators.
 * Each entry is given once per run; an entry written more than `lookbackMs` late is the one it can miss.
 */
export async function followAudit(
  audit: AuditLog,
  options: FollowOptions,
  onEntry: (entry: AuditEntry) => void | Promise<void>,
): Promise<void> {
  const { signal, clock } = options;
  const lookback = options.lookbackMs ?? LOOKBACK_MS;
  const seen = new Map<string, number>();
  let from = options.since.getTime();
  while (!signal.aborted) {
    const now = clock.now();
    for (const entry of await audit.query({ since: new Date(from), until: now })) {
      if (seen.has(entry.id)) continue;
      seen.set(entry.id, entry.at.getTime());
      await onEntry(entry);
    }
    from = Math.max(options.since.getTime(), now.getTime() - lookback);
    for (const [id, at] of seen) if (at < from) seen.delete(id);
    await wait(options.intervalMs ?? INTERVAL_MS, undefined, { signal }).catch(() => undefined);
  }
}
