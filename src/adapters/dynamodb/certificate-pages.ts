import { GetCommand, PutCommand, QueryCommand, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { CertificateStatus, StoredStatus } from '../../domain/certificate';
import { VpnChatopsError } from '../../domain/errors';
import { DAY_MS, MINUTE_MS } from '../../domain/time';
import { Database, guarded } from './client';
import { INDEX } from './table';

type Item = Record<string, unknown>;

/**
 * The stretches pages walk the status index in: what an admin acts on first (live certificates, soonest expiry
 * first), then revoked, then the expired ones, which stay in their status partition forever and would otherwise
 * fill the first pages of a mature table.
 */
const SEGMENTS: readonly { status: StoredStatus; expired?: boolean }[] = [
  { status: 'active', expired: false },
  { status: 'suspended', expired: false },
  { status: 'revoked' },
  { status: 'active', expired: true },
  { status: 'suspended', expired: true },
];

/** Where the next page starts: the stretch and the index key of the last row shown. */
interface Cursor {
  segment: number;
  key: { pk: string; sk: string; gsi2pk: string; gsi2sk: string };
}

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi2pk', 'gsi2sk'] as const;

function encodeCursor(segment: number, item: Item): string {
  const key = Object.fromEntries(KEY_ATTRIBUTES.map((name) => [name, item[name]]));
  return Buffer.from(JSON.stringify({ segment, ...key })).toString('base64url');
}

/** A cursor travels through a Slack button: anything that is not exactly one of ours is refused, not queried. */
function decodeCursor(cursor: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { segment, ...fields } =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const wellFormed =
    typeof segment === 'number' &&
    Number.isInteger(segment) &&
    segment >= 0 &&
    segment < SEGMENTS.length &&
    fields.gsi2pk === `STATUS#${SEGMENTS[segment].status}` &&
    Object.keys(fields).length === KEY_ATTRIBUTES.length &&
    KEY_ATTRIBUTES.every((name) => typeof fields[name] === 'string' && (fields[name] as string).length <= 200) &&
    /^CERT#[0-9A-F]{2,40}$/.test(fields.pk as string) &&
    fields.sk === 'CERT' &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z#[0-9A-F]{2,40}$/.test(fields.gsi2sk as string);
  if (!wellFormed)
    throw new VpnChatopsError('NOT_FOUND', 'That page of certificates no longer exists: start again from the first.');
  return { segment: segment as number, key: fields as Cursor['key'] };
}

/** The key condition of one stretch; `~` sorts after `#<serial>`, so a notAfter of exactly `now` counts as expired. */
function segmentQuery(segment: number, now: Date) {
  const { status, expired } = SEGMENTS[segment];
  const values: Record<string, string> = { ':pk': `STATUS#${status}` };
  if (expired === undefined) return { KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: values };
  values[':now'] = `${now.toISOString()}~`;
  return {
    KeyConditionExpression: `gsi2pk = :pk AND gsi2sk ${expired ? '<=' : '>'} :now`,
    ExpressionAttributeValues: values,
  };
}

/**
 * `limit` certificate items from the status index, in SEGMENTS order as of `now`, and the cursor of the next page
 * when there is one. One item beyond the page is asked for, so a last page says so instead of offering a Next that
 * leads nowhere; the table is never read beyond that. A certificate that expires between two pages is shown again
 * among the expired rather than missed.
 */
export async function certificatePageItems(
  db: Database,
  limit: number,
  now: Date,
  cursor?: string,
): Promise<{ items: Item[]; next?: string }> {
  const start = cursor === undefined ? undefined : decodeCursor(cursor);
  const rows: { segment: number; item: Item }[] = [];
  for (let segment = start?.segment ?? 0; segment < SEGMENTS.length && rows.length <= limit; segment++) {
    let exclusiveStartKey: Item | undefined = start?.segment === segment ? start.key : undefined;
    do {
      const page: QueryCommandOutput = await guarded(db, () =>
        db.doc.send(
          new QueryCommand({
            TableName: db.tableName,
            IndexName: INDEX.byStatus,
            ...segmentQuery(segment, now),
            Limit: limit + 1 - rows.length,
            ExclusiveStartKey: exclusiveStartKey,
          }),
        ),
      );
      rows.push(...(page.Items ?? []).map((item) => ({ segment, item })));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey && rows.length <= limit);
  }
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    items: shown.map((row) => row.item),
    ...(rows.length > limit && { next: encodeCursor(last.segment, last.item) }),
  };
}

async function countQuery(db: Database, input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>) {
  let total = 0;
  let exclusiveStartKey: Item | undefined;
  do {
    const page: QueryCommandOutput = await guarded(db, () =>
      db.doc.send(
        new QueryCommand({ ...input, TableName: db.tableName, Select: 'COUNT', ExclusiveStartKey: exclusiveStartKey }),
      ),
    );
    total += page.Count ?? 0;
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return total;
}

/**
 * The live partitions hold whole certificates (PEM included), so a count pages through megabytes: split by
 * notAfter into slices counted in parallel, one of them "already expired". The slices cover every key: the
 * first is open below, the last above.
 */
const LIVE_SLICE_DAYS = 30;
const LIVE_SLICES = 14;

function liveSlices(now: Date): [string | undefined, string | undefined][] {
  const bounds = Array.from({ length: LIVE_SLICES }, (_, i) => new Date(now.getTime() + i * LIVE_SLICE_DAYS * DAY_MS));
  // `~` sorts after `#<serial>`: a certificate whose notAfter is exactly a bound falls below it, as expired at `now`.
  const keys = bounds.map((bound) => `${bound.toISOString()}~`);
  return [
    [undefined, keys[0]],
    ...keys.slice(1).map((key, i): [string, string] => [keys[i], key]),
    [keys[keys.length - 1], undefined],
  ];
}

/**
 * How many certificates there are by effective status, counted by DynamoDB (Select COUNT) so no item crosses the
 * network: revoked ones on the slim revoked index, live ones on the status index by notAfter slice.
 */
async function countCertificates(
  db: Database,
  now: Date,
  revokedShards: number,
): Promise<Record<CertificateStatus, number>> {
  const live = (['active', 'suspended'] as const).flatMap((status) =>
    liveSlices(now).map(async ([from, to], slice) => {
      const range =
        from === undefined ? 'gsi2sk < :to' : to === undefined ? 'gsi2sk >= :from' : 'gsi2sk BETWEEN :from AND :to';
      const count = await countQuery(db, {
        IndexName: INDEX.byStatus,
        KeyConditionExpression: `gsi2pk = :pk AND ${range}`,
        ExpressionAttributeValues: {
          ':pk': `STATUS#${status}`,
          // No key equals a bound, so BETWEEN's inclusive ends count nothing twice.
          ...(from !== undefined && { ':from': from }),
          ...(to !== undefined && { ':to': to }),
        },
      });
      return { status: slice === 0 ? ('expired' as const) : status, count };
    }),
  );
  const revoked = Array.from({ length: revokedShards }, (_, shard) =>
    countQuery(db, {
      IndexName: INDEX.revoked,
      KeyConditionExpression: 'gsi3pk = :pk',
      ExpressionAttributeValues: { ':pk': `REVOKED#${shard}` },
    }),
  );
  const counts: Record<CertificateStatus, number> = { active: 0, suspended: 0, expired: 0, revoked: 0 };
  for (const { status, count } of await Promise.all(live)) counts[status] += count;
  for (const count of await Promise.all(revoked)) counts.revoked += count;
  return counts;
}

/** A count pages through the whole live partition, so admins opening the Home share one for this long. */
export const COUNTS_MAX_AGE_MS = 10 * MINUTE_MS;
const COUNTS_KEY = { pk: 'STATS#certificates', sk: 'COUNTS' };
const STATUSES: readonly CertificateStatus[] = ['active', 'suspended', 'expired', 'revoked'];

/**
 * The counts by status as of at most COUNTS_MAX_AGE_MS before `now`: one GetItem for most views, a recount (stored
 * for the next ones) when the last is older or from the future (a clock that moved back). Two recounts at once
 * both write a correct count, so they need no lock.
 */
export async function certificateCounts(
  db: Database,
  now: Date,
  revokedShards: number,
): Promise<Record<CertificateStatus, number>> {
  const { Item } = await guarded(db, () => db.doc.send(new GetCommand({ TableName: db.tableName, Key: COUNTS_KEY })));
  const age = Item && typeof Item.countedAt === 'string' ? now.getTime() - Date.parse(Item.countedAt) : NaN;
  if (age >= 0 && age < COUNTS_MAX_AGE_MS && STATUSES.every((status) => typeof Item?.[status] === 'number'))
    return Object.fromEntries(STATUSES.map((status) => [status, Item![status] as number])) as Record<
      CertificateStatus,
      number
    >;
  const counts = await countCertificates(db, now, revokedShards);
  await guarded(db, () =>
    db.doc.send(
      new PutCommand({ TableName: db.tableName, Item: { ...COUNTS_KEY, ...counts, countedAt: now.toISOString() } }),
    ),
  );
  return counts;
}
