import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Grant } from '../../domain/access';
import type { GrantStore } from '../../ports';
import { Database, guarded } from './client';
import { TTL_ATTRIBUTE } from './table';

const grantKey = (slackId: string) => ({ pk: `GRANT#${slackId}`, sk: 'GRANT' });

export class DynamoDbGrantStore implements GrantStore {
  constructor(private readonly db: Database) {}

  async put(grant: Grant): Promise<void> {
    await guarded(this.db, () =>
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            ...grantKey(grant.slackId),
            slackId: grant.slackId,
            grantedBy: grant.grantedBy,
            grantedAt: grant.grantedAt.toISOString(),
            until: grant.until.toISOString(),
            reason: grant.reason,
            // TTL only tidies up: `active` reads `until`, because deletion lags by up to days.
            [TTL_ATTRIBUTE]: Math.ceil(grant.until.getTime() / 1000),
          },
        }),
      ),
    );
  }

  async active(slackId: string, now: Date): Promise<Grant | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: grantKey(slackId), ConsistentRead: true })),
    );
    if (!Item || typeof Item.until !== 'string' || typeof Item.grantedBy !== 'string') return undefined;
    const until = new Date(Item.until);
    if (!(until.getTime() > now.getTime())) return undefined;
    return {
      slackId,
      grantedBy: Item.grantedBy,
      grantedAt: new Date(String(Item.grantedAt)),
      until,
      ...(typeof Item.reason === 'string' && { reason: Item.reason }),
    };
  }

  async end(slackId: string): Promise<boolean> {
    const { Attributes } = await guarded(this.db, () =>
      this.db.doc.send(
        new DeleteCommand({ TableName: this.db.tableName, Key: grantKey(slackId), ReturnValues: 'ALL_OLD' }),
      ),
    );
    return Attributes !== undefined;
  }
}
