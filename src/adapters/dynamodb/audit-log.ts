import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditQuery } from '../../domain/audit';
import { toEntry } from './audit-item';
import type { AuditLog } from '../../ports';
import { Database, guarded, queryAll } from './client';
import { INDEX } from './table';
import { DAY_MS } from '../../domain/time';

const DEFAULT_WINDOW_DAYS = 30;

/** Day partitions keep "everything since X" a handful of queries; gsi1/gsi2 answer "by actor" and "by target". */
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
            pk: `AUDIT#${at.slice(0, 10)}`,
            sk: sort,
            type: 'audit',
            ...entry,
            at,
            details: entry.details && JSON.parse(JSON.stringify(entry.details)),
            gsi1pk: `ACTOR#${entry.actor}`,
            gsi1sk: sort,
            gsi2pk: `TARGET#${entry.target}`,
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
    let items: Record<string, unknown>[];
    if (query.target !== undefined || query.actor !== undefined) {
      const [index, attribute, value] =
        query.target !== undefined
          ? [INDEX.byStatus, 'gsi2', `TARGET#${query.target}`]
          : [INDEX.byUser, 'gsi1', `ACTOR#${query.actor}`];
      items = await queryAll(
        this.db,
        {
          IndexName: index,
          KeyConditionExpression: `${attribute}pk = :pk AND ${attribute}sk BETWEEN :from AND :to`,
          ExpressionAttributeValues: { ':pk': value, ...range },
          ScanIndexForward: !newestFirst,
        },
        query.target !== undefined && query.actor !== undefined ? Infinity : max,
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
          ...(await queryAll(
            this.db,
            {
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':pk': `AUDIT#${new Date(day).toISOString().slice(0, 10)}`, ...range },
              ScanIndexForward: !newestFirst,
            },
            max - items.length,
          )),
        );
      }
    }
    if (newestFirst) items.reverse();
    const entries = items.map(toEntry);
    return query.limit === undefined ? entries : entries.slice(-query.limit);
  }
}
