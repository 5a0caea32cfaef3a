/**
 * Where an audit entry lives. One partition takes at most 1,000 writes a second (an audit item is under 1 KB, so one
 * WCU each). After an AWS CRL import a 20,000-person company reconnects at once and every login writes an entry of the
 * same day, as `system:connect`: in one day partition and one actor index partition (whose throttling throttles the
 * table's writes too) that is 20 s of throttling, and the SDK's retries give up long before. 16 shards take 16,000
 * writes a second, the whole company in a second and a quarter, while a day's read stays 17 queries sent together
 * (the shards and the partition written before sharding).
 */
export const AUDIT_SHARDS = 16;

/** From the entry's id, a random UUID: spread evenly, and the same every time the entry is looked at. */
export function auditShard(id: string): number {
  const shard = Number.parseInt(id.slice(0, 2), 16);
  return Number.isNaN(shard) ? 0 : shard % AUDIT_SHARDS;
}

/** The day partition an entry is written to. */
export const dayKey = (day: string, id: string): string => `AUDIT#${day}#${auditShard(id)}`;

/** Every partition that may hold the day's entries, the unsharded one too, so entries written before sharding are read. */
export function dayKeys(day: string): string[] {
  return [...shardKeys(`AUDIT#${day}`), `AUDIT#${day}`];
}

/** Jobs and the login path write as `system:<job>`, in bursts; a person acts through Slack, far below a partition's rate. */
const isBurstActor = (actor: string): boolean => actor.startsWith('system:');

/** The actor index's partition for an entry. */
export const actorKey = (actor: string, id: string): string =>
  isBurstActor(actor) ? `ACTOR#${actor}#${auditShard(id)}` : `ACTOR#${actor}`;

/** Every actor index partition that may hold the actor's entries, the unsharded one too. */
export function actorKeys(actor: string): string[] {
  return isBurstActor(actor) ? [...shardKeys(`ACTOR#${actor}`), `ACTOR#${actor}`] : [`ACTOR#${actor}`];
}

/** The target index is spread by nature: a member, a serial or a CN is the target of a handful of entries a day. */
export const targetKey = (target: string): string => `TARGET#${target}`;

function shardKeys(prefix: string): string[] {
  return Array.from({ length: AUDIT_SHARDS }, (_, shard) => `${prefix}#${shard}`);
}
