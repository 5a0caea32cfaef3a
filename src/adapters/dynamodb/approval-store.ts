import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Approval, ApprovalStatus, ConnectRequest } from '../../domain/approval';
import { VpnChatopsError } from '../../domain/errors';
import type { ApprovalStore } from '../../ports';
import { Database, guarded, storeError, isConditionFailure } from './client';
import { INDEX, TTL_ATTRIBUTE } from './table';

type Item = Record<string, unknown>;

export const approvalKey = (id: string) => ({ pk: `APPROVAL#${id}`, sk: 'APPROVAL' });
const messageKey = (channel: string, ts: string) => ({ pk: `APPROVALMSG#${channel}#${ts}`, sk: 'APPROVALMSG' });
/** By serial, not CN: a remembered approval belongs to one certificate and never carries over to another. */
export const rememberKey = (serial: string, publicIp: string) => ({
  pk: `REMEMBER#${serial}#${publicIp}`,
  sk: 'REMEMBER',
});
const promptsKey = (slackId: string) => ({ pk: `PROMPTS#${slackId}`, sk: 'PROMPTS' });
export const coolDownKey = (serial: string) => ({ pk: `COOLDOWN#${serial}`, sk: 'COOLDOWN' });
const recentPk = (slackId: string) => `APPROVALS#${slackId}`;
/**
 * Sparse: only undecided approvals carry it, so the admin Home reads what is waiting without a scan.
 * Sharded like the revoked index: a reconnect storm writes every prompt at once, and one index
 * partition key would throttle those writes (and so the approvals) on real DynamoDB.
 */
const PENDING_SHARDS = 8;
const pendingPk = (shard: number) => `APPROVALS#PENDING#${shard}`;
const pendingShard = (id: string) => createHash('sha256').update(id).digest()[0] % PENDING_SHARDS;
/** The admin Home shows a page of waiting logins; more than this at once is a storm, summarized by its count. */
const PENDING_PAGE = 100;

/** Approvals outlive their deadline by this much, so a decision racing the deadline still finds its item. */
const APPROVAL_TTL_SLACK_SECONDS = 3600;
/**
 * A PENDING approval reads as EXPIRED only this long after its deadline: a 👍 recorded right at the
 * deadline (with the bot's clock slightly behind ours) must still be seen as the approval it is.
 */
const EXPIRY_GRACE_MS = 5_000;
/** Each lost race means another prompt was recorded meanwhile, so a few attempts settle any realistic burst. */
const CLAIM_ATTEMPTS = 10;

const STATUSES: readonly ApprovalStatus[] = ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED'];
const REQUEST_FIELDS = [
  'connectionId',
  'endpointId',
  'commonName',
  'publicIp',
  'platform',
  'platformVersion',
  'clientVersion',
] as const;

const iso = (date: Date) => date.toISOString();
const epochSeconds = (date: Date) => Math.ceil(date.getTime() / 1000);

function malformed(item: Item, field: string): VpnChatopsError {
  return new VpnChatopsError(
    'STORE_UNAVAILABLE',
    `DynamoDB item ${String(item.pk)} has no valid "${field}"; it was not written by this version of vpn-chatops.`,
  );
}

function requiredText(item: Item, field: string): string {
  const value = item[field];
  if (typeof value !== 'string') throw malformed(item, field);
  return value;
}

function optionalText(item: Item, field: string): string | undefined {
  const value = item[field];
  return typeof value === 'string' ? value : undefined;
}

function toRequest(item: Item): ConnectRequest {
  const stored: unknown = item.request;
  if (typeof stored !== 'object' || stored === null) throw malformed(item, 'request');
  const fields: Record<string, unknown> = { ...stored };
  const field = (name: (typeof REQUEST_FIELDS)[number]) => {
    const value = fields[name];
    if (typeof value !== 'string') throw malformed(item, `request.${name}`);
    return value;
  };
  return {
    connectionId: field('connectionId'),
    endpointId: field('endpointId'),
    commonName: field('commonName'),
    publicIp: field('publicIp'),
    platform: field('platform'),
    platformVersion: field('platformVersion'),
    clientVersion: field('clientVersion'),
  };
}

export function toApproval(item: Item, now: Date): Approval {
  const status = STATUSES.find((candidate) => candidate === item.status);
  if (status === undefined) throw malformed(item, 'status');
  const deadline = new Date(requiredText(item, 'deadline'));
  const decidedAt = optionalText(item, 'decidedAt');
  return {
    id: requiredText(item, 'id'),
    // TTL deletion lags by up to days: an approval nobody decided is over at its deadline, whatever the item says.
    status: status === 'PENDING' && deadline.getTime() < now.getTime() - EXPIRY_GRACE_MS ? 'EXPIRED' : status,
    slackId: requiredText(item, 'slackId'),
    cn: requiredText(item, 'cn'),
    serial: requiredText(item, 'serial'),
    request: toRequest(item),
    requestedAt: new Date(requiredText(item, 'requestedAt')),
    deadline,
    channel: optionalText(item, 'channel'),
    ts: optionalText(item, 'ts'),
    decidedAt: decidedAt === undefined ? undefined : new Date(decidedAt),
    decidedBy: optionalText(item, 'decidedBy'),
  };
}

function untilOf(item: Item | undefined): Date | undefined {
  const until = item === undefined ? undefined : optionalText(item, 'until');
  return until === undefined ? undefined : new Date(until);
}

/** A cooldown item holds at `now` until its end. */
export function coolDownHolds(item: Item | undefined, now: Date): boolean {
  const until = untilOf(item);
  return until !== undefined && until > now;
}

/**
 * A remembered approval item holds at `now` when unexpired and granted after `notBefore` (the certificate's last
 * pause).
 */
export function rememberedHolds(item: Item | undefined, now: Date, notBefore?: Date): boolean {
  const until = untilOf(item);
  const from = item === undefined ? undefined : optionalText(item, 'from');
  if (until === undefined || until <= now || from === undefined) return false;
  return notBefore === undefined || new Date(from) > notBefore;
}

function timestamps(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((entry): entry is number => typeof entry === 'number') : [];
}

export class DynamoDbApprovalStore implements ApprovalStore {
  constructor(private readonly db: Database) {}

  async create(approval: Approval): Promise<void> {
    const { request } = approval;
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            ...approvalKey(approval.id),
            type: 'approval',
            id: approval.id,
            status: approval.status,
            slackId: approval.slackId,
            cn: approval.cn,
            serial: approval.serial,
            request: Object.fromEntries(REQUEST_FIELDS.map((field) => [field, request[field]])),
            requestedAt: iso(approval.requestedAt),
            deadline: iso(approval.deadline),
            channel: approval.channel,
            ts: approval.ts,
            decidedAt: approval.decidedAt && iso(approval.decidedAt),
            decidedBy: approval.decidedBy,
            gsi1pk: recentPk(approval.slackId),
            gsi1sk: `${iso(approval.requestedAt)}#${approval.id}`,
            ...(approval.status === 'PENDING' && {
              gsi2pk: pendingPk(pendingShard(approval.id)),
              gsi2sk: `${iso(approval.deadline)}#${approval.id}`,
            }),
            [TTL_ATTRIBUTE]: epochSeconds(approval.deadline) + APPROVAL_TTL_SLACK_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error))
        throw new VpnChatopsError('CONFLICT', `Approval ${approval.id} already exists; nothing was changed.`, {
          cause: error,
        });
      throw storeError(this.db, error);
    }
  }

  async get(id: string): Promise<Approval | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: approvalKey(id), ConsistentRead: true })),
    );
    return Item ? toApproval(Item, new Date()) : undefined;
  }

  async peek(id: string): Promise<Approval | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: approvalKey(id) })),
    );
    return Item ? toApproval(Item, new Date()) : undefined;
  }

  async attachMessage(id: string, channel: string, ts: string): Promise<void> {
    let updated: Item | undefined;
    try {
      ({ Attributes: updated } = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: approvalKey(id),
          UpdateExpression: 'SET channel = :channel, ts = :ts',
          // Without it an unknown id would leave behind a bare item that never expires.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':channel': channel, ':ts': ts },
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      if (isConditionFailure(error))
        throw new VpnChatopsError(
          'NOT_FOUND',
          `Approval ${id} does not exist (or has expired); the prompt message was not recorded.`,
          { cause: error },
        );
      throw storeError(this.db, error);
    }
    const expiresAt = updated?.[TTL_ATTRIBUTE];
    if (typeof expiresAt !== 'number') throw malformed(updated ?? approvalKey(id), TTL_ATTRIBUTE);
    await guarded(this.db, () =>
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: { ...messageKey(channel, ts), approvalId: id, [TTL_ATTRIBUTE]: expiresAt },
        }),
      ),
    );
  }

  async decideByMessage(
    channel: string,
    ts: string,
    owner: string,
    status: Exclude<ApprovalStatus, 'PENDING'>,
    at: Date,
  ): Promise<Approval | 'unlinked' | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(
        new GetCommand({ TableName: this.db.tableName, Key: messageKey(channel, ts), ConsistentRead: true }),
      ),
    );
    const approvalId = Item && optionalText(Item, 'approvalId');
    if (approvalId === undefined) return 'unlinked';
    // Owner and message checked in the write itself: the 👍 path costs one read and one write. Only the
    // message the approval currently names counts: a re-sent prompt retires the older one.
    return this.settle(approvalId, status, owner, at, {
      condition: 'slackId = :by AND channel = :channel AND ts = :ts',
      values: { ':channel': channel, ':ts': ts },
    });
  }

  async decide(id: string, status: Exclude<ApprovalStatus, 'PENDING'>, by: string, at: Date): Promise<boolean> {
    return (await this.settle(id, status, by, at)) !== undefined;
  }

  /** The conditional PENDING → status write both decisions share; undefined when the conditions do not hold. */
  private async settle(
    id: string,
    status: Exclude<ApprovalStatus, 'PENDING'>,
    by: string,
    at: Date,
    also?: { condition: string; values: Record<string, string> },
  ): Promise<Approval | undefined> {
    // A late 👍 must not let in a connection whose handler has already given up waiting.
    const conditions = [
      '#status = :pending',
      ...(status === 'APPROVED' ? ['deadline >= :at'] : []),
      ...(also ? [also.condition] : []),
    ];
    try {
      const { Attributes } = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: approvalKey(id),
          UpdateExpression: 'SET #status = :status, decidedAt = :at, decidedBy = :by REMOVE gsi2pk, gsi2sk',
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ':pending': 'PENDING',
            ':at': iso(at),
            ':by': by,
            ...also?.values,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes) throw malformed(approvalKey(id), 'status');
      return toApproval(Attributes, at);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error instanceof VpnChatopsError ? error : storeError(this.db, error);
    }
  }

  async remember(serial: string, publicIp: string, window: { from: Date; until: Date }): Promise<void> {
    await guarded(this.db, () =>
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            ...rememberKey(serial, publicIp),
            from: iso(window.from),
            until: iso(window.until),
            [TTL_ATTRIBUTE]: epochSeconds(window.until),
          },
        }),
      ),
    );
  }

  async isRemembered(serial: string, publicIp: string, now: Date, notBefore?: Date): Promise<boolean> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(
        new GetCommand({ TableName: this.db.tableName, Key: rememberKey(serial, publicIp), ConsistentRead: true }),
      ),
    );
    return rememberedHolds(Item, now, notBefore);
  }

  async claimPrompt(slackId: string, now: Date, limit: number, windowMs: number): Promise<boolean> {
    const at = now.getTime();
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const { Item } = await guarded(this.db, () =>
        this.db.doc.send(
          new GetCommand({ TableName: this.db.tableName, Key: promptsKey(slackId), ConsistentRead: true }),
        ),
      );
      const inWindow = timestamps(Item?.sent).filter((sent) => sent > at - windowMs);
      if (inWindow.length >= limit) return false;
      const version = Item?.version;
      try {
        await this.db.doc.send(
          new PutCommand({
            TableName: this.db.tableName,
            Item: {
              ...promptsKey(slackId),
              sent: [...inWindow, at],
              version: typeof version === 'number' ? version + 1 : 1,
              [TTL_ATTRIBUTE]: epochSeconds(new Date(at + windowMs)),
            },
            // Optimistic lock: two claims that read the same list must not both append to it.
            ...(typeof version === 'number'
              ? { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': version } }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw storeError(this.db, error);
      }
    }
    // Losing every race means that many prompts were just recorded for this member: the burst the limit is for.
    return false;
  }

  async coolDown(serial: string, until: Date): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: { ...coolDownKey(serial), until: iso(until), [TTL_ATTRIBUTE]: epochSeconds(until) },
          // A second "Not me" never shortens a cooldown already running.
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :until',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':until': iso(until) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw storeError(this.db, error);
    }
  }

  async isCoolingDown(serial: string, now: Date): Promise<boolean> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(
        new GetCommand({ TableName: this.db.tableName, Key: coolDownKey(serial), ConsistentRead: true }),
      ),
    );
    return coolDownHolds(Item, now);
  }

  async pending(now: Date): Promise<Approval[]> {
    // Undecided items past their deadline (plus grace) are over, whatever they say: skip them in the key condition.
    const from = iso(new Date(now.getTime() - EXPIRY_GRACE_MS));
    const soonest = await this.pendingIndex('gsi2sk >= :edge', from);
    // The index lags the table: an approval decided a moment ago may still be listed, so its own status decides.
    return soonest.map((item) => toApproval(item, now)).filter((approval) => approval.status === 'PENDING');
  }

  async unclosed(before: Date): Promise<Approval[]> {
    const oldest = await this.pendingIndex('gsi2sk < :edge', iso(before));
    // Read as of their deadline: the item still says PENDING, which is what the caller acts on (a conditional close).
    return oldest
      .filter((item) => item.status === 'PENDING')
      .map((item) => toApproval(item, new Date(requiredText(item, 'deadline'))));
  }

  /** One page of the PENDING index, across its shards, by deadline. */
  private async pendingIndex(condition: string, edge: string): Promise<Item[]> {
    const shards = await Promise.all(
      Array.from({ length: PENDING_SHARDS }, (_, shard) =>
        guarded(this.db, () =>
          this.db.doc.send(
            new QueryCommand({
              TableName: this.db.tableName,
              IndexName: INDEX.byStatus,
              KeyConditionExpression: `gsi2pk = :pk AND ${condition}`,
              ExpressionAttributeValues: { ':pk': pendingPk(shard), ':edge': edge },
              Limit: PENDING_PAGE,
            }),
          ),
        ),
      ),
    );
    return shards
      .flatMap(({ Items }) => Items ?? [])
      .sort((a, b) => String(a.gsi2sk).localeCompare(String(b.gsi2sk)))
      .slice(0, PENDING_PAGE);
  }

  async recent(slackId: string, limit: number): Promise<Approval[]> {
    // DynamoDB rejects a Limit below 1.
    if (limit < 1) return [];
    const { Items } = await guarded(this.db, () =>
      this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tableName,
          IndexName: INDEX.byUser,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': recentPk(slackId) },
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
    const now = new Date();
    return (Items ?? []).map((item) => toApproval(item, now));
  }
}
