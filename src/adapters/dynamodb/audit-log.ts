import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditQuery } from '../../domain/audit';
import { toEntry } from './audit-item';
import { actorKey, actorKeys, dayKey, dayKeys, targetKey } from './audit-keys';
import type { AuditLog } from '../../ports';
import { Database, guarded, queryAll } from './client';
import { INDEX } from './table';
import { DAY_MS } from '../../domain/time';

const DEFAULT_WINDOW_DAYS = 30;

type Item = Record<string, unknown>;

/**
 * Day partitions keep "everything since X" a handful of queries; gsi1/gsi2 answer "by actor" and "by target". Days and
 * system actors are written in shards (audit-keys.ts) so a reconnect storm is not throttled, and read from all of them.
 */
export class DynamoDbAuditLog implements AuditLog {
  constructor(private readonly db: Database) {}

  async append(input: Omit<AuditEntry, 'id' | 'at'> & { at?: Date }): Promise<AuditEntry> {
    const entry: AuditEntry = { ...input, id: randomUUID(), at: input.at ?? new Date() };
    const at = entry.at.toISOString();
    const sort = `${at}#${entry.id}`;
    await guarded(this.db, () =>
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            pk: dayKey(at.slice(0, 10), entry.id),
            sk: sort,
            type: 'audit',
            ...entry,
            at,
            details: entry.details && JSON.parse(JSON.stringify(entry.details)),
            gsi1pk: actorKey(entry.actor, entry.id),
            gsi1sk: sort,
            gsi2pk: targetKey(entry.target),
            gsi2sk: sort,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return entry;
  }

  /** Oldest first, within [since, until]. */
  async query(query: AuditQuery): Promise<AuditEntry[]> {
    const until = query.until ?? new Date();
    const since = query.since ?? new Date(until.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
    const range = { ':from': since.toISOString(), ':to': `${until.toISOString()}~` };
    // With a limit, read newest first and stop once it is reached: the App Home's latest ten must not read a month.
    const max = query.limit ?? Infinity;
    const newestFirst = query.limit !== undefined;
    let items: Item[];
    if (query.target !== undefined || query.actor !== undefined) {
      const [index, attribute, keys] =
        query.target !== undefined
          ? [INDEX.byStatus, 'gsi2', [targetKey(query.target)]]
          : [INDEX.byUser, 'gsi1', actorKeys(query.actor as string)];
      items = await this.merged(
        keys,
        (pk) => ({
          IndexName: index,
          KeyConditionExpression: `${attribute}pk = :pk AND ${attribute}sk BETWEEN :from AND :to`,
          ExpressionAttributeValues: { ':pk': pk, ...range },
        }),
        query.target !== undefined && query.actor !== undefined ? Infinity : max,
        newestFirst,
      );
      if (query.target !== undefined && query.actor !== undefined)
        items = items.filter((item) => item.actor === query.actor);
    } else {
      const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
      const days: number[] = [];
      for (let day = first; day <= until.getTime(); day += DAY_MS) days.push(day);
      if (newestFirst) days.reverse();
      items = [];
      for (const day of days) {
        if (items.length >= max) break;
        items.push(
          ...(await this.merged(
            dayKeys(new Date(day).toISOString().slice(0, 10)),
            (pk) => ({
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':pk': pk, ...range },
            }),
            max - items.length,
            newestFirst,
          )),
        );
      }
    }
    if (newestFirst) items.reverse();
    const entries = items.map(toEntry);
    return query.limit === undefined ? entries : entries.slice(-query.limit);
  }

  /**
   * The partitions' items in one sort-key order, at most `max`: each partition is read in that order up to `max`
   * (all at once), so the merge's first `max` are the answer and no partition is read further than it must be.
   */
  private async merged(
    keys: string[],
    input: (pk: string) => { KeyConditionExpression: string; ExpressionAttributeValues: Item; IndexName?: string },
    max: number,
    newestFirst: boolean,
  ): Promise<Item[]> {
    const limit = Number.isFinite(max) ? { Limit: max } : {};
    const parts = await Promise.all(
      keys.map((pk) => queryAll(this.db, { ...input(pk), ...limit, ScanIndexForward: !newestFirst }, max)),
    );
    const direction = newestFirst ? -1 : 1;
    return parts
      .flat()
      .sort((a, b) => direction * (String(a.sk) < String(b.sk) ? -1 : String(a.sk) > String(b.sk) ? 1 : 0))
      .slice(0, max);
  }
}
