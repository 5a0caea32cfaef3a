import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SlackBudget } from '../../ports';
import { sleep } from '../../domain/time';
import { Database, guarded } from './client';
import { TTL_ATTRIBUTE } from './table';

/** Calls are counted in windows this long; any 60 s lies within the current window and the six before it. */
export const WINDOW_MS = 10_000;
const SPAN = 60_000 / WINDOW_MS;

const field = (window: number) => `w${window}`;

/** What a container has seen of the budget, so it need not ask the table again before that changes. */
export interface BudgetSeen {
  /** Per method: windows that fell out of the span, seen on the last update; the next one removes them. */
  stale: Map<string, string[]>;
  /** Per method: until when the budget was full at this container's last refusal. */
  fullUntil: Map<string, number>;
}

export const budgetSeen = (): BudgetSeen => ({ stale: new Map(), fullUntil: new Map() });

/**
 * Slack's limits are per minute, over any 60 seconds. One item per method holds the calls made in each of
 * the last seven 10-second windows; taking room is one update that counts the call and returns them all.
 * Updates to one item are serialized, so each taker sees every call counted before its own: a call goes
 * ahead only if the seven windows then hold no more than the limit, and one that does not gives its count
 * back (meanwhile it can only make others wait, never let one through too many).
 */
export class DynamoDbSlackBudget implements SlackBudget {
  constructor(
    private readonly db: Database,
    /** The app in its workspace (its bot id): Slack's limits are per method, workspace and app. */
    private readonly scope: string,
    private readonly perMinute: Readonly<Record<string, number>>,
    private readonly wait: (ms: number) => Promise<void> = sleep,
    private readonly now: () => number = Date.now,
    /** Shared by the budgets one container builds over differently bounded clients (e.g. one per login). */
    private readonly seen: BudgetSeen = budgetSeen(),
  ) {}

  async take(method: string, by: Date): Promise<boolean> {
    const limit = this.perMinute[method];
    if (limit === undefined) return true;
    // Past `by`, the call may not be made, room or not: counting it would only crowd out the others.
    // (`by` equal to now still asks: that is "only if there is room right now".)
    if (this.now() > by.getTime()) return false;
    for (;;) {
      // Full when this container last asked: no need to ask the table again before room can open.
      const full = this.seen.fullUntil.get(method) ?? 0;
      if (full > this.now()) {
        if (full > by.getTime()) return false;
        await this.wait(Math.min(full + Math.random() * (WINDOW_MS / 2), by.getTime()) - this.now());
      }
      const now = this.now();
      const window = Math.floor(now / WINDOW_MS);
      const counts = await this.count(method, window, 1);
      if (counts.reduce((sum, count) => sum + count, 0) <= limit) return true;
      await this.count(method, window, -1);
      counts[SPAN] -= 1;
      const opens = roomOpens(counts, window, limit) * WINDOW_MS;
      this.seen.fullUntil.set(method, opens);
      // Spread over the window, so those waiting do not all ask again at the same moment.
      const at = Math.max(now, opens) + Math.random() * (WINDOW_MS / 2);
      if (at > by.getTime()) return false;
      await this.wait(at - now);
    }
  }

  /** Adds `delta` to `window`'s count and returns the counts of it and the six windows before, oldest first. */
  private async count(method: string, window: number, delta: number): Promise<number[]> {
    const windows = Array.from({ length: SPAN + 1 }, (_, i) => window - SPAN + i);
    const stale = (this.seen.stale.get(method) ?? []).filter((name) => name !== field(window));
    const names = Object.fromEntries(stale.map((name, i) => [`#old${i}`, name]));
    const { Attributes } = await guarded(this.db, () =>
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: { pk: `SLACKBUDGET#${this.scope}#${method}`, sk: 'WINDOWS' },
          UpdateExpression:
            `ADD #now :delta SET ${TTL_ATTRIBUTE} = :expires` +
            (stale.length ? ` REMOVE ${Object.keys(names).join(', ')}` : ''),
          ExpressionAttributeNames: { '#now': field(window), ...names },
          ExpressionAttributeValues: { ':delta': delta, ':expires': Math.ceil(this.now() / 1000) + 3_600 },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    this.seen.stale.set(
      method,
      Object.keys(Attributes ?? {}).filter((name) => /^w\d+$/.test(name) && Number(name.slice(1)) < window - SPAN),
    );
    return windows.map((w) => Math.max(0, Number(Attributes?.[field(w)] ?? 0)));
  }
}

/**
 * The first window in which a call fits again, from the counts of `window` and the six before it (oldest
 * first): each window ahead drops the oldest count. Bounded: once all seven have dropped there is room.
 */
export function roomOpens(counts: number[], window: number, limit: number): number {
  for (let ahead = 1; ahead <= SPAN + 1; ahead++) {
    const kept = counts.slice(ahead).reduce((sum, count) => sum + count, 0);
    if (kept < limit) return window + ahead;
  }
  return window + SPAN + 1;
}
