import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { FloodState, FloodStateStore } from '../../ports';
import { Database, guarded, isConditionFailure, storeError } from './client';

const key = (endpoint: string) => ({ pk: `FLOOD#${endpoint}`, sk: 'STATE' });

/** One small item per endpoint: what the flood watch last told the admins. */
export class DynamoDbFloodStateStore implements FloodStateStore {
  constructor(private readonly db: Database) {}

  async get(endpoint: string): Promise<FloodState | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: key(endpoint), ConsistentRead: true })),
    );
    if (!Item) return undefined;
    return {
      endpoint,
      version: Item.version as number,
      active: Item.active === true,
      sources: (Item.sources as string[] | undefined) ?? [],
      ratePerHour: (Item.ratePerHour as number | undefined) ?? 0,
      failingNames: (Item.failingNames as string[] | undefined) ?? [],
      alertedAt: new Date(Item.alertedAt as string),
    };
  }

  async save(state: FloodState): Promise<boolean> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: { ...key(state.endpoint), ...state, alertedAt: state.alertedAt.toISOString() },
          ConditionExpression: state.version === 1 ? 'attribute_not_exists(pk)' : 'version = :previous',
          ...(state.version !== 1 && { ExpressionAttributeValues: { ':previous': state.version - 1 } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }
}
