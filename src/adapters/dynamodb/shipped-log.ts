import { gunzipSync, gzipSync } from 'node:zlib';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ConnectionAttempt } from '../../domain/connection-log';
import { VpnChatopsError } from '../../domain/errors';
import { DAY_MS, HOUR_MS } from '../../domain/time';
import type { ConnectionLogRead, ShippedLog } from '../../ports';
import { Database, guarded, queryAll } from './client';
import { TTL_ATTRIBUTE } from './table';

type Shipped = Pick<ConnectionLogRead, 'attempts' | 'events' | 'malformed' | 'ignored' | 'truncated'>;

/**
 * One hour of attempts is one item, gzipped JSON: a flood repeats the same names and addresses, so
 * ~20 bytes an attempt. Past this many compressed bytes (the item limit is 400 KB) the newest attempts
 * are kept and the item says how many were left out.
 */
export const MAX_HOUR_BYTES = 300_000;
/** `/vpn logs` reads at most a week (MAX_HOURS); a day more lets a week-long read start an hour back. */
const SHIPPED_TTL_MS = 8 * DAY_MS;
const SHIPPED_NOTE =
  "Shipped hour by hour by `vpnctl agent` from the server's log; the agent re-ships the current hour every minute, so its last minute may not be here yet.";

const partition = (endpoint: string) => `SHIPPED#${endpoint}`;
const hourOf = (time: number) => Math.floor(time / HOUR_MS) * HOUR_MS;
const hourSk = (time: number) => new Date(hourOf(time)).toISOString();

const pack = (attempts: ConnectionAttempt[]) => gzipSync(JSON.stringify(attempts));

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new VpnChatopsError('STATE', `A shipped log hour needs a count of ${field} (a whole number ≥ 0).`);
  return value;
}

function unpack(item: Record<string, unknown>): ConnectionAttempt[] {
  try {
    const attempts: unknown = JSON.parse(gunzipSync(item.attempts as Uint8Array).toString('utf8'));
    if (Array.isArray(attempts)) return attempts as ConnectionAttempt[];
  } catch {
    // Reported below, with the item's key.
  }
  throw new VpnChatopsError(
    'STORE_UNAVAILABLE',
    `DynamoDB item ${String(item.pk)} / ${String(item.sk)} holds no shipped attempts this version of vpn-chatops can read.`,
  );
}

/** The newest attempts whose packed form fits one item, and what was left out. */
function fitted(attempts: ConnectionAttempt[]): { packed: Buffer; kept: number } {
  const newestLast = [...attempts].sort((a, b) => a.at - b.at);
  let kept = newestLast.length;
  let packed = pack(newestLast);
  // Each round shrinks by the overshoot and 10% more; a handful of rounds converge, the bound keeps it sure.
  for (let round = 0; packed.length > MAX_HOUR_BYTES && round < 20; round++) {
    kept = round === 19 ? 0 : Math.floor((kept * MAX_HOUR_BYTES * 0.9) / packed.length);
    packed = pack(newestLast.slice(newestLast.length - kept));
  }
  return { packed, kept };
}

/**
 * Connection attempts an agent shipped from its server's log, one item per endpoint and hour
 * (SHIPPED#<endpoint> / <hour>). A re-shipped hour replaces the item: the agent always sends all of it.
 */
export class DynamoDbShippedLog implements ShippedLog {
  constructor(private readonly db: Database) {}

  async ship(endpoint: string, hour: Date, read: Shipped): Promise<void> {
    const start = hourOf(hour.getTime());
    if (Number.isNaN(start))
      throw new VpnChatopsError('STATE', `A shipped log hour for ${endpoint} needs a valid time.`);
    const inHour = read.attempts.filter((attempt) => attempt.at >= start && attempt.at < start + HOUR_MS);
    const { packed, kept } = fitted(inHour);
    const notes = [
      read.truncated,
      kept < inHour.length &&
        `${new Date(start).toISOString()}: kept the newest ${kept.toLocaleString('en-US')} of ${inHour.length.toLocaleString('en-US')} attempts; one hour must fit one DynamoDB item.`,
      inHour.length < read.attempts.length &&
        `${new Date(start).toISOString()}: left out ${read.attempts.length - inHour.length} attempts the agent shipped for another hour.`,
    ].filter((note): note is string => typeof note === 'string' && note !== '');
    await guarded(this.db, () =>
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            pk: partition(endpoint),
            sk: hourSk(start),
            endpoint,
            attempts: packed,
            events: count(read.events, 'events'),
            malformed: count(read.malformed, 'malformed entries'),
            ignored: count(read.ignored, 'ignored entries'),
            truncated: notes.length ? notes.join(' ') : undefined,
            [TTL_ATTRIBUTE]: Math.ceil((start + HOUR_MS + SHIPPED_TTL_MS) / 1000),
          },
        }),
      ),
    );
  }

  async read(endpoint: string, from: Date, to: Date): Promise<ConnectionLogRead> {
    const result: ConnectionLogRead = {
      attempts: [],
      events: 0,
      malformed: 0,
      ignored: 0,
      unrecognisedFields: new Set(),
      notes: [SHIPPED_NOTE],
    };
    if (!(to.getTime() > from.getTime())) return result;
    const items = await queryAll(this.db, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: {
        ':pk': partition(endpoint),
        ':first': hourSk(from.getTime()),
        ':last': hourSk(to.getTime() - 1),
      },
    });
    const truncated: string[] = [];
    // Counts are per shipped hour: an hour the window only partly covers counts whole.
    for (const item of items) {
      const attempts = unpack(item);
      result.attempts.push(...attempts.filter((attempt) => attempt.at >= from.getTime() && attempt.at < to.getTime()));
      result.events += Number(item.events ?? 0);
      result.malformed += Number(item.malformed ?? 0);
      result.ignored += Number(item.ignored ?? 0);
      if (typeof item.truncated === 'string') truncated.push(item.truncated);
    }
    const hours = (hourOf(to.getTime() - 1) - hourOf(from.getTime())) / HOUR_MS + 1;
    if (items.length < hours)
      result.notes!.push(
        `The agent shipped nothing for ${hours - items.length} of the ${hours} hours asked for: it was not running then, or the hours are older than the ${SHIPPED_TTL_MS / DAY_MS} days kept.`,
      );
    if (truncated.length) result.truncated = truncated.join(' ');
    return result;
  }
}
