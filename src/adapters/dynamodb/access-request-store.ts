import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AccessRequest, AccessRequestState, requestStateAt } from '../../domain/access';
import { VpnChatopsError } from '../../domain/errors';
import { DAY_MS } from '../../domain/time';
import type { AccessRequestStore } from '../../ports';
import { Database, guarded, isConditionFailure, queryAll, storeError } from './client';
import { INDEX, TTL_ATTRIBUTE } from './table';

type Item = Record<string, unknown>;

const requestKey = (id: string) => ({ pk: `ACCESSREQ#${id}`, sk: 'ACCESSREQ' });
const byRequesterPk = (slackId: string) => `ACCESSREQS#${slackId}`;
/** Sparse: only undecided requests carry it, so the admin Home and the daily sweep read what waits without a scan. */
const PENDING_PK = 'ACCESSREQS#PENDING';
const PENDING_PAGE = 50;
/** Decided and lapsed requests stay readable this long (the requester's Home), then TTL removes them. */
const KEPT_MS = 30 * DAY_MS;

const STATES: readonly AccessRequestState[] = ['pending', 'approved', 'denied', 'expired'];
const iso = (date: Date) => date.toISOString();

function text(item: Item, field: string): string {
  const value = item[field];
  if (typeof value !== 'string')
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `DynamoDB item ${String(item.pk)} has no valid "${field}"; it was not written by this version of vpn-chatops.`,
    );
  return value;
}

const optional = (item: Item, field: string) => (typeof item[field] === 'string' ? item[field] : undefined);

function toRequest(item: Item): AccessRequest {
  const state = STATES.find((candidate) => candidate === item.state);
  if (state === undefined) text(item, '(state)');
  const decidedAt = optional(item, 'decidedAt');
  return {
    id: text(item, 'id'),
    requester: text(item, 'requester'),
    device: optional(item, 'device'),
    hours: Number(item.hours),
    reason: text(item, 'reason'),
    state: state!,
    createdAt: new Date(text(item, 'createdAt')),
    // Not the TTL attribute: this is when the request lapses, the item itself is kept longer.
    expiresAt: new Date(text(item, 'lapsesAt')),
    decidedBy: optional(item, 'decidedBy'),
    decidedAt: decidedAt === undefined ? undefined : new Date(decidedAt),
    approvedHours: typeof item.approvedHours === 'number' ? item.approvedHours : undefined,
    channel: optional(item, 'channel'),
    ts: optional(item, 'ts'),
  };
}

export class DynamoDbAccessRequestStore implements AccessRequestStore {
  constructor(private readonly db: Database) {}

  async create(request: AccessRequest): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            ...requestKey(request.id),
            id: request.id,
            requester: request.requester,
            device: request.device,
            hours: request.hours,
            reason: request.reason,
            state: request.state,
            createdAt: iso(request.createdAt),
            lapsesAt: iso(request.expiresAt),
            gsi1pk: byRequesterPk(request.requester),
            gsi1sk: `${iso(request.createdAt)}#${request.id}`,
            gsi2pk: PENDING_PK,
            gsi2sk: `${iso(request.expiresAt)}#${request.id}`,
            [TTL_ATTRIBUTE]: Math.ceil((request.expiresAt.getTime() + KEPT_MS) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error))
        throw new VpnChatopsError('CONFLICT', `Access request ${request.id} already exists; nothing was changed.`, {
          cause: error,
        });
      throw storeError(this.db, error);
    }
  }

  async get(id: string): Promise<AccessRequest | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: requestKey(id), ConsistentRead: true })),
    );
    return Item ? toRequest(Item) : undefined;
  }

  async attachMessage(id: string, channel: string, ts: string): Promise<void> {
    await guarded(this.db, () =>
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: requestKey(id),
          UpdateExpression: 'SET channel = :channel, ts = :ts',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':channel': channel, ':ts': ts },
        }),
      ),
    );
  }

  decide(
    id: string,
    decision: { state: 'approved' | 'denied'; by: string; at: Date; hours?: number },
  ): Promise<AccessRequest | undefined> {
    return this.settle(id, decision.state, decision.at, {
      // The requester check is in the write itself: nobody approves their own request, whatever a caller forgot.
      condition: 'lapsesAt > :at AND requester <> :by',
      set: ', decidedBy = :by, decidedAt = :at' + (decision.hours === undefined ? '' : ', approvedHours = :hours'),
      values: { ':by': decision.by, ...(decision.hours !== undefined && { ':hours': decision.hours }) },
    });
  }

  async reopen(request: AccessRequest): Promise<boolean> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: requestKey(request.id),
          UpdateExpression:
            'SET #state = :pending, gsi2pk = :pk, gsi2sk = :sk REMOVE decidedBy, decidedAt, approvedHours',
          ConditionExpression: '#state = :approved AND decidedBy = :by',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':approved': 'approved',
            ':by': request.decidedBy ?? '',
            ':pk': PENDING_PK,
            ':sk': `${iso(request.expiresAt)}#${request.id}`,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  expire(id: string, at: Date): Promise<AccessRequest | undefined> {
    return this.settle(id, 'expired', at, { condition: 'lapsesAt <= :at', set: '', values: {} });
  }

  private async settle(
    id: string,
    state: Exclude<AccessRequestState, 'pending'>,
    at: Date,
    how: { condition: string; set: string; values: Record<string, unknown> },
  ): Promise<AccessRequest | undefined> {
    try {
      const { Attributes } = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: requestKey(id),
          UpdateExpression: `SET #state = :state${how.set} REMOVE gsi2pk, gsi2sk`,
          ConditionExpression: `#state = :pending AND ${how.condition}`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':state': state, ':pending': 'pending', ':at': iso(at), ...how.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toRequest(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw storeError(this.db, error);
    }
  }

  async pending(now: Date): Promise<AccessRequest[]> {
    const items = await this.pendingIndex('gsi2sk > :edge', iso(now));
    // The index lags the table: a request decided a moment ago may still be listed, so its own state decides.
    return items.map(toRequest).filter((request) => requestStateAt(request, now) === 'pending');
  }

  async lapsed(now: Date): Promise<AccessRequest[]> {
    // Every page: the daily sweep closes and audits each lapsed request, however many the admins left.
    const items = await queryAll(this.db, {
      IndexName: INDEX.byStatus,
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :edge',
      ExpressionAttributeValues: { ':pk': PENDING_PK, ':edge': iso(now) },
    });
    return items.map(toRequest).filter((r) => r.state === 'pending');
  }

  private async pendingIndex(condition: string, edge: string): Promise<Item[]> {
    const { Items } = await guarded(this.db, () =>
      this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tableName,
          IndexName: INDEX.byStatus,
          KeyConditionExpression: `gsi2pk = :pk AND ${condition}`,
          ExpressionAttributeValues: { ':pk': PENDING_PK, ':edge': edge },
          Limit: PENDING_PAGE,
        }),
      ),
    );
    return Items ?? [];
  }

  async latest(slackId: string): Promise<AccessRequest | undefined> {
    const { Items } = await guarded(this.db, () =>
      this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tableName,
          IndexName: INDEX.byUser,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': byRequesterPk(slackId) },
          ScanIndexForward: false,
          Limit: 1,
        }),
      ),
    );
    return Items?.[0] ? toRequest(Items[0]) : undefined;
  }
}
