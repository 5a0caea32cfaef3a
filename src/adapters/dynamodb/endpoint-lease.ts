import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { VpnChatopsError } from '../../domain/errors';
import type { EndpointLease } from '../../ports';
import { Database, isConditionFailure, storeError } from './client';
import { TTL_ATTRIBUTE } from './table';

/**
 * TTL deletion is only housekeeping (acquire compares `until` itself); an hour is far beyond any skew doctor lets pass.
 */
const TTL_SLACK_SECONDS = 3600;

const leaseKey = (endpoint: string) => ({ pk: `AGENT-ENDPOINT#${endpoint}`, sk: 'LEASE' });

/**
 * One agent acts for an endpoint at a time. `until` is written with the holder's clock and compared with
 * the contender's: a contender whose clock runs s ahead sees the lease lapse s early. The holder renews
 * every ttl/3, so its `until` stays at least 2/3 ttl ahead of its own clock, and two agents act at once
 * only when their clocks differ by more than that; each agent measures its clock against Slack's hourly (admins
 * are alerted at 10 s), and doctor checks the bot's.
 */
export class DynamoDbEndpointLease implements EndpointLease {
  constructor(private readonly db: Database) {}

  async acquire(endpoint: string, holder: string, ttlMs: number): Promise<boolean> {
    if (!holder || !Number.isFinite(ttlMs) || ttlMs <= 0)
      throw new VpnChatopsError('STATE', `A lease on ${endpoint} needs a holder and a positive duration.`);
    const now = Date.now();
    const until = now + ttlMs;
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            ...leaseKey(endpoint),
            endpoint,
            holder,
            until,
            [TTL_ATTRIBUTE]: Math.ceil(until / 1000) + TTL_SLACK_SECONDS,
          },
          // Free, lapsed (a holder that died), or ours (a renewal).
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR holder = :holder',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now, ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  async release(endpoint: string, holder: string): Promise<void> {
    try {
      await this.db.doc.send(
        new DeleteCommand({
          TableName: this.db.tableName,
          Key: leaseKey(endpoint),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (error) {
      // Someone else's (or nobody's) lease is not ours to end.
      if (!isConditionFailure(error)) throw storeError(this.db, error);
    }
  }
}
