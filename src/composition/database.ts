import { join } from 'node:path';
import { Database, connectDatabase, databaseAnswers, ensureTable } from '../adapters/dynamodb/client';
import { LocalDynamoDb, startDynamoDbLocal } from '../adapters/dynamodb/local-server';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { DEFAULT_LOCAL_DYNAMODB, isLocalMode, stateDir } from '../state';

/**
 * The database: DYNAMODB_ENDPOINT or AWS. In local mode, when nothing answers on the (loopback)
 * endpoint, start DynamoDB Local on it with its data under STATE_DIR, and stop it on close.
 */
export async function openDatabase(
  config: Config,
  options: { startLocal?: boolean } = {},
): Promise<{ db: Database; local?: LocalDynamoDb }> {
  const endpoint = config.DYNAMODB_ENDPOINT ?? (isLocalMode(config) ? DEFAULT_LOCAL_DYNAMODB : undefined);
  let db = connectDatabase({ tableName: config.TABLE_NAME, endpoint, region: config.AWS_REGION });
  let local: LocalDynamoDb | undefined;
  if (endpoint && options.startLocal !== false && !(await databaseAnswers(db))) {
    const url = new URL(endpoint);
    if (!['127.0.0.1', 'localhost'].includes(url.hostname)) {
      throw new VpnChatopsError(
        'STORE_UNAVAILABLE',
        `Nothing answers at DYNAMODB_ENDPOINT=${endpoint}; start DynamoDB there or unset it to use the embedded one.`,
      );
    }
    db.doc.destroy();
    local = await startDynamoDbLocal({ dataDir: join(stateDir(config), 'dynamodb'), port: Number(url.port || 8000) });
    db = connectDatabase({ tableName: config.TABLE_NAME, endpoint: local.endpoint });
  }
  try {
    if (endpoint) await ensureTable(db);
  } catch (error) {
    db.doc.destroy();
    await local?.stop();
    throw error;
  }
  return { db, local };
}
