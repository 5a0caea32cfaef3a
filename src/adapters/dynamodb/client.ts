import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Deadline } from '../../domain/deadline';
import { VpnChatopsError } from '../../domain/errors';
import { TTL_ATTRIBUTE, tableDefinition } from './table';

export interface DynamoDbOptions {
  tableName: string;
  endpoint?: string;
  region?: string;
}

export interface Database {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** For messages: where the data lives. */
  where: string;
}

export function connectDatabase(options: DynamoDbOptions): Database {
  const local = options.endpoint !== undefined;
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? (local ? 'us-east-1' : undefined),
    // DynamoDB Local accepts any credentials; never let a laptop's real ones be used for it.
    credentials: local ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    maxAttempts: 3,
    // Without throwOnRequestTimeout, @smithy/node-http-handler 4 only logs a warning when requestTimeout passes.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    doc,
    tableName: options.tableName,
    where: `table ${options.tableName}${local ? ` at ${options.endpoint}` : ''}`,
  };
}

/**
 * The same table, with every request aborted once `deadline` passes (retries included): for the
 * login path, which must answer the VPN in time whatever DynamoDB does.
 */
export function withDeadline(db: Database, deadline: Deadline): Database {
  return withCurrentDeadline(db, () => deadline);
}

/**
 * The same table, with every request aborted once the deadline of the call in progress passes (none:
 * unbounded): for a client built once per container and shared by the calls it serves.
 */
export function withCurrentDeadline(db: Database, current: () => Deadline | undefined): Database {
  const send = db.doc.send.bind(db.doc) as (command: unknown, options?: object) => Promise<unknown>;
  const bounded = (command: unknown, options?: object) => {
    const deadline = current();
    return send(command, deadline ? { ...options, abortSignal: deadline.signal() } : options);
  };
  return { ...db, doc: Object.create(db.doc, { send: { value: bounded } }) as DynamoDBDocumentClient };
}

/** A conditional write (or a transaction with one) lost: the expected outcome of a race, not a failure. */
export function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException';
}

/** Turn transport failures into one clear, typed message; leave our own errors alone. */
export function storeError(db: Database, error: unknown): VpnChatopsError {
  if (error instanceof VpnChatopsError) return error;
  const name = (error as { name?: string }).name ?? 'Error';
  const message = (error as { message?: string }).message ?? String(error);
  if (name === 'ResourceNotFoundException') {
    return new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `DynamoDB ${db.where} does not exist: create it (vpnctl does so locally; the CDK app in AWS).`,
      { cause: error },
    );
  }
  if (name === 'AbortError' || name === 'TimeoutError') {
    // Aborted by a deadline: a write may or may not have landed, so promise nothing about it.
    return new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `DynamoDB ${db.where} did not answer in time (it is stalled or overloaded). Try again in a minute.`,
      { cause: error },
    );
  }
  const answered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined;
  return new VpnChatopsError(
    'STORE_UNAVAILABLE',
    answered
      ? `DynamoDB ${db.where} refused the request (${name}: ${message}); nothing was changed.`
      : `DynamoDB ${db.where} is not reachable (${name}: ${message}). Check DYNAMODB_ENDPOINT / AWS_REGION and credentials; nothing was changed.`,
    { cause: error },
  );
}

export async function guarded<T>(db: Database, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw storeError(db, error);
  }
}

/** Create the table (and its TTL) when it does not exist yet: the local stack and tests. */
export async function ensureTable(db: Database): Promise<void> {
  await guarded(db, async () => {
    try {
      await db.doc.send(new DescribeTableCommand({ TableName: db.tableName }));
      return;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
    }
    await db.doc.send(new CreateTableCommand(tableDefinition(db.tableName)));
    await waitUntilTableExists({ client: db.doc, maxWaitTime: 30 }, { TableName: db.tableName });
    await db.doc.send(
      new UpdateTimeToLiveCommand({
        TableName: db.tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  });
}

/** Every page of a query, in order. */
/** Every page of a query, or only as many pages as it takes to hold `max` items. */
export async function queryAll(
  db: Database,
  input: Omit<QueryCommandInput, 'TableName'>,
  max = Infinity,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await guarded(db, () =>
      db.doc.send(new QueryCommand({ ...input, TableName: db.tableName, ExclusiveStartKey })),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && items.length < max);
  return items;
}

/** Whether a DynamoDB answers at `db`'s endpoint. */
export async function databaseAnswers(db: Database): Promise<boolean> {
  try {
    await db.doc.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  }
}
