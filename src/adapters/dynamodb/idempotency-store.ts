import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyStore } from '../../ports';
import { Database, guarded, isConditionFailure, storeError } from './client';
import { TTL_ATTRIBUTE } from './table';

export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Database) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: { pk: `IDEMPOTENCY#${key}`, sk: 'KEY', [TTL_ATTRIBUTE]: now + ttlSeconds },
          // TTL deletion lags by up to days, so an expired marker must not count as a repeat.
          ConditionExpression: `attribute_not_exists(pk) OR ${TTL_ATTRIBUTE} < :now`,
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  async release(key: string): Promise<void> {
    await guarded(this.db, () =>
      this.db.doc.send(
        new DeleteCommand({ TableName: this.db.tableName, Key: { pk: `IDEMPOTENCY#${key}`, sk: 'KEY' } }),
      ),
    );
  }
}
