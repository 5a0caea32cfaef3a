import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { Database, connectDatabase, ensureTable } from '../../src/adapters/dynamodb/client';

export const DYNAMODB_ENDPOINT = process.env.TEST_DYNAMODB_ENDPOINT;

/** A fresh table in the run's DynamoDB Local; `drop()` deletes it. */
export async function testDatabase(): Promise<Database & { drop(): Promise<void> }> {
  const db = connectDatabase({ tableName: `test-${randomBytes(6).toString('hex')}`, endpoint: DYNAMODB_ENDPOINT });
  await ensureTable(db);
  return {
    ...db,
    drop: async () => {
      await db.doc.send(new DeleteTableCommand({ TableName: db.tableName }));
      db.doc.destroy();
    },
  };
}
