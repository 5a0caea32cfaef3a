import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { VpnChatopsError } from '../../domain/errors';
import type { DatabaseProbe } from '../../ports';
import { DENIED_CODES, hasCode } from '../aws-errors';
import { Database, storeError } from './client';

/**
 * One strongly consistent read of a key nothing writes: it needs the table, the network and dynamodb:GetItem, and
 * changes nothing.
 */
export class DynamoDbProbe implements DatabaseProbe {
  constructor(private readonly db: Database) {}

  async probe(): Promise<string> {
    try {
      await this.db.doc.send(
        new GetCommand({
          TableName: this.db.tableName,
          Key: { pk: 'DOCTOR#PROBE', sk: 'PROBE' },
          ConsistentRead: true,
        }),
      );
      return `DynamoDB ${this.db.where} answers`;
    } catch (error) {
      if (hasCode(error, DENIED_CODES)) {
        throw new VpnChatopsError(
          'STORE_UNAVAILABLE',
          `Not allowed to read DynamoDB ${this.db.where}: grant dynamodb:GetItem (with the rest of the table's read and write actions) to the role the bot runs as.`,
          {
            cause: error,
            permission: 'dynamodb:GetItem',
          },
        );
      }
      throw storeError(this.db, error);
    }
  }
}
