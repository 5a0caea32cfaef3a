import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReconcileProgress, ReconcileProgressStore } from '../../ports';
import { Database, guarded, queryAll } from './client';
import { TTL_ATTRIBUTE } from './table';

const PK = 'RECONCILE#offboarding';
/** A pass's pages outlive it by days: they are only read while it is under way, and a pass lasts hours. */
const PAGE_TTL_S = 3 * 86_400;

const pagePrefix = (startedAt: Date) => `PAGE#${startedAt.toISOString()}#`;

/**
 * One item for where the pass stands, and one small item per users.list page with the holders it listed
 * (≤ 200 ids), so a pass over any number of holders stays far below DynamoDB's 400 KB item limit.
 */
export class DynamoDbReconcileProgressStore implements ReconcileProgressStore {
  constructor(private readonly db: Database) {}

  async load(): Promise<ReconcileProgress | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(
        new GetCommand({ TableName: this.db.tableName, Key: { pk: PK, sk: 'PROGRESS' }, ConsistentRead: true }),
      ),
    );
    if (!Item) return undefined;
    return {
      startedAt: new Date(Item.startedAt as string),
      pages: Item.pages as number,
      ...(typeof Item.cursor === 'string' && { cursor: Item.cursor }),
      ...(typeof Item.finishedAt === 'string' && { finishedAt: new Date(Item.finishedAt) }),
    };
  }

  async savePage(progress: ReconcileProgress, listed: string[]): Promise<void> {
    // The page first: a place saved without its holders would skip them for the rest of the pass.
    await guarded(this.db, () =>
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            pk: PK,
            sk: `${pagePrefix(progress.startedAt)}${String(progress.pages).padStart(6, '0')}`,
            listed,
            [TTL_ATTRIBUTE]: Math.floor(Date.now() / 1000) + PAGE_TTL_S,
          },
        }),
      ),
    );
    await this.save(progress);
  }

  async listed(startedAt: Date): Promise<Set<string>> {
    const items = await queryAll(this.db, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': PK, ':prefix': pagePrefix(startedAt) },
      ConsistentRead: true,
    });
    return new Set(items.flatMap((item) => (item.listed as string[] | undefined) ?? []));
  }

  async save(progress: ReconcileProgress): Promise<void> {
    await guarded(this.db, () =>
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            pk: PK,
            sk: 'PROGRESS',
            startedAt: progress.startedAt.toISOString(),
            pages: progress.pages,
            ...(progress.cursor && { cursor: progress.cursor }),
            ...(progress.finishedAt && { finishedAt: progress.finishedAt.toISOString() }),
          },
        }),
      ),
    );
  }
}
