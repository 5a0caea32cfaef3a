import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { VpnChatopsError } from '../../domain/errors';
import type { CrlStateStore, EndpointCrlRecord } from '../../ports';
import { Database, guarded, storeError, isConditionFailure } from './client';
import { TTL_ATTRIBUTE } from './table';

/**
 * The counter is a DynamoDB number read back as a JavaScript number: exact up to 2^53 - 1 only. Past
 * that it would round, and two different CRLs could carry the same number; refuse instead.
 */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

const pastExact = (number: bigint) =>
  new VpnChatopsError(
    'CRL_NUMBER',
    `A CRL of this CA carries number ${number}, and vpn-chatops counts CRL numbers exactly only up to ${MAX_EXACT}: ` +
      "another tool must have signed it with this CA's key, and no CRL is numbered past it. Stop that tool publishing for this CA, " +
      'or move users to a new CA (vpnctl ca init --force, then issue new certificates).',
  );

function exact(number: bigint): number {
  if (number > MAX_EXACT) throw pastExact(number);
  return Number(number);
}

const counterKey = (caId: string) => ({ pk: `CA#${caId}`, sk: 'CRL' });
const endpointKey = (endpoint: string) => ({ pk: `ENDPOINT#${endpoint}`, sk: 'CRL' });
const leaseKey = (endpoint: string) => ({ pk: `ENDPOINT#${endpoint}`, sk: 'LEASE' });

function toRecord(item: Record<string, unknown>): EndpointCrlRecord {
  return {
    endpoint: item.endpoint as string,
    caId: item.caId as string | undefined,
    pending: item.pending instanceof Set ? [...(item.pending as Set<string>)] : [],
    requested: Number(item.requested ?? 0),
    served: Number(item.served ?? 0),
    crlNumber: item.crlNumber === undefined ? undefined : String(item.crlNumber),
    thisUpdate: item.thisUpdate as string | undefined,
    nextUpdate: item.nextUpdate as string | undefined,
    entries: item.entries as number | undefined,
    publishedAt: item.publishedAt as string | undefined,
    verifiedAt: item.verifiedAt as string | undefined,
    lastError: item.lastError as string | undefined,
    lastErrorAt: item.lastErrorAt as string | undefined,
    alerted: (item.alerted as number[] | undefined) ?? [],
  };
}

export class DynamoDbCrlStateStore implements CrlStateStore {
  constructor(private readonly db: Database) {}

  async nextCrlNumber(caId: string, after?: bigint): Promise<bigint> {
    if (after !== undefined) {
      // The number handed out is past `after`: it too must be exact.
      if (after >= MAX_EXACT) throw pastExact(after);
      await this.raiseCrlNumber(caId, Number(after));
    }
    const { Attributes } = await guarded(this.db, () =>
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: counterKey(caId),
          UpdateExpression: 'ADD crlNumber :one',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return BigInt(Attributes!.crlNumber as number);
  }

  /** Moves the counter up to `floor`, never down: a concurrent raise or increment may already be past it. */
  private async raiseCrlNumber(caId: string, floor: number): Promise<void> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: counterKey(caId),
          UpdateExpression: 'SET crlNumber = :floor',
          ConditionExpression: 'attribute_not_exists(crlNumber) OR crlNumber < :floor',
          ExpressionAttributeValues: { ':floor': floor },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw storeError(this.db, error);
    }
  }

  async currentCrlNumber(caId: string): Promise<bigint> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: counterKey(caId), ConsistentRead: true })),
    );
    return BigInt((Item?.crlNumber as number | undefined) ?? 0);
  }

  async getEndpoint(endpoint: string): Promise<EndpointCrlRecord | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(
        new GetCommand({ TableName: this.db.tableName, Key: endpointKey(endpoint), ConsistentRead: true }),
      ),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async listEndpoints(): Promise<EndpointCrlRecord[]> {
    // requestPublish registers each endpoint in one small partition, so status pages need no table scan.
    const { Items } = await guarded(this.db, () =>
      this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'ENDPOINTS' },
        }),
      ),
    );
    const records = await Promise.all((Items ?? []).map((item) => this.getEndpoint(item.sk as string)));
    return records.filter((record): record is EndpointCrlRecord => record !== undefined);
  }

  async requestPublish(endpoint: string, serials: string[] = []): Promise<number> {
    const { Attributes } = await guarded(this.db, async () => {
      await this.db.doc.send(new PutCommand({ TableName: this.db.tableName, Item: { pk: 'ENDPOINTS', sk: endpoint } }));
      return this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: endpointKey(endpoint),
          UpdateExpression: `SET endpoint = :endpoint ADD requested :one${serials.length ? ', pending :serials' : ''}`,
          ExpressionAttributeValues: {
            ':endpoint': endpoint,
            ':one': 1,
            ...(serials.length ? { ':serials': new Set(serials) } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
    });
    return Number(Attributes!.requested);
  }

  async acquireLease(endpoint: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            ...leaseKey(endpoint),
            owner,
            leaseUntil: now + ttlMs,
            [TTL_ATTRIBUTE]: Math.ceil((now + ttlMs) / 1000) + 3600,
          },
          // A holder that died keeps the lease only until it runs out.
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  async renewLease(endpoint: string, owner: string, ttlMs: number): Promise<boolean> {
    const until = Date.now() + ttlMs;
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: leaseKey(endpoint),
          UpdateExpression: 'SET leaseUntil = :until, #ttl = :ttl',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':owner': owner, ':until': until, ':ttl': Math.ceil(until / 1000) + 3600 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  async releaseLease(endpoint: string, owner: string): Promise<void> {
    try {
      await this.db.doc.send(
        new DeleteCommand({
          TableName: this.db.tableName,
          Key: leaseKey(endpoint),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw storeError(this.db, error);
    }
  }

  async recordPublished(
    endpoint: string,
    result: {
      caId: string;
      served: number;
      crlNumber: bigint;
      thisUpdate: Date;
      nextUpdate: Date;
      entries: number;
      at: Date;
      listed: string[];
    },
  ): Promise<boolean> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: endpointKey(endpoint),
          UpdateExpression:
            'SET endpoint = :endpoint, caId = :caId, served = :served, crlNumber = :number, thisUpdate = :thisUpdate, nextUpdate = :nextUpdate, entries = :entries, publishedAt = :at, verifiedAt = :at, alerted = :none REMOVE lastError, lastErrorAt' +
            (result.listed.length ? ' DELETE pending :listed' : ''),
          // Records only move forward within a CA: an older CRL never overwrites a newer one's record.
          ConditionExpression:
            'attribute_not_exists(crlNumber) OR attribute_not_exists(caId) OR caId <> :caId OR crlNumber < :number',
          ExpressionAttributeValues: {
            ...(result.listed.length ? { ':listed': new Set(result.listed) } : {}),
            ':caId': result.caId,
            ':endpoint': endpoint,
            ':served': result.served,
            ':number': exact(result.crlNumber),
            ':thisUpdate': result.thisUpdate.toISOString(),
            ':nextUpdate': result.nextUpdate.toISOString(),
            ':entries': result.entries,
            ':at': result.at.toISOString(),
            ':none': [],
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  async recordFailure(endpoint: string, error: string, at: Date): Promise<void> {
    await guarded(this.db, () =>
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: endpointKey(endpoint),
          UpdateExpression: 'SET endpoint = :endpoint, lastError = :error, lastErrorAt = :at',
          ExpressionAttributeValues: { ':endpoint': endpoint, ':error': error.slice(0, 2000), ':at': at.toISOString() },
        }),
      ),
    );
  }

  async recordAlerted(endpoint: string, thresholds: number[]): Promise<void> {
    await guarded(this.db, () =>
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: endpointKey(endpoint),
          UpdateExpression: 'SET alerted = :alerted',
          ExpressionAttributeValues: { ':alerted': thresholds },
        }),
      ),
    );
  }
}
