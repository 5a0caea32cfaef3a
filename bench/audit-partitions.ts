import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Database } from '../src/adapters/dynamodb/client';

type Item = Record<string, unknown>;

/** The most entries any one partition took within one second: what DynamoDB throttles at 1,000. */
function busiest(items: Item[], partitionOf: (item: Item) => string): { partitions: number; max: number } {
  const perSecond = new Map<string, number>();
  for (const item of items) {
    const key = `${partitionOf(item)} ${String(item.at).slice(0, 19)}`;
    perSecond.set(key, (perSecond.get(key) ?? 0) + 1);
  }
  return {
    partitions: new Set(items.map(partitionOf)).size,
    max: Math.max(0, ...perSecond.values()),
  };
}

/**
 * Where the audit entries written since `since` landed, by day partition and by actor index partition, beside where
 * the unsharded layout (`AUDIT#<day>`, `ACTOR#<actor>`) would have put the same entries.
 */
export async function auditPartitions(db: Database, since: Date): Promise<Record<string, number>> {
  const items: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await db.doc.send(
      new ScanCommand({
        TableName: db.tableName,
        FilterExpression: '#type = :audit AND #at >= :since',
        ExpressionAttributeNames: { '#type': 'type', '#at': 'at' },
        ExpressionAttributeValues: { ':audit': 'audit', ':since': since.toISOString() },
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const day = busiest(items, (item) => String(item.pk));
  const actor = busiest(items, (item) => String(item.gsi1pk));
  const dayBefore = busiest(items, (item) => `AUDIT#${String(item.at).slice(0, 10)}`);
  const actorBefore = busiest(items, (item) => `ACTOR#${String(item.actor)}`);
  return {
    entries: items.length,
    day_partitions: day.partitions,
    day_max_per_partition_s: day.max,
    actor_partitions: actor.partitions,
    actor_max_per_partition_s: actor.max,
    before_day_partitions: dayBefore.partitions,
    before_day_max_per_partition_s: dayBefore.max,
    before_actor_partitions: actorBefore.partitions,
    before_actor_max_per_partition_s: actorBefore.max,
  };
}
