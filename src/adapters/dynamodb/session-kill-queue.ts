import { randomBytes } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { VpnChatopsError } from '../../domain/errors';
import { DAY_MS, sleep } from '../../domain/time';
import type { SessionKill, SessionKillQueue } from '../../ports';
import { Database, guarded, isConditionFailure, queryAll, storeError } from './client';
import { TTL_ATTRIBUTE } from './table';

type Item = Record<string, unknown>;

/** A settled kill is kept a week for the revoke report and doctor; a pending one never expires ("nothing is lost"). */
const SETTLED_TTL_MS = 7 * DAY_MS;
/** A request racing the agent's settle may find the guard gone between its write and its read: retry a little. */
const REQUEST_ATTEMPTS = 3;
/** One round of the agent: more pending kills than this wait for the next round (2 s later). */
const PENDING_ROUND = 500;

const partition = (endpoint: string) => `KILLS#${endpoint}`;
/**
 * A pending kill. Kill ids start with the request time, so the pending kills' sort keys, and the agent's query,
 * come oldest first. Pending kills keep the sort key they always had, so kills queued before the settled ones
 * moved out are read like any other, and an agent not yet upgraded still finds the ones queued after.
 */
const killKey = (endpoint: string, id: string) => ({ pk: partition(endpoint), sk: `KILL#${id}` });
/** A settled kill, moved out of `KILL#` so that the agent's every-2-s query of pending kills does not read it. */
const settledKey = (endpoint: string, id: string) => ({ pk: partition(endpoint), sk: `SETTLED#${id}` });
/** While a kill is pending, this names it: a second request for the session gets the same kill. */
const guardKey = (endpoint: string, connectionId: string) => ({ pk: partition(endpoint), sk: `CONN#${connectionId}` });

const STATES: readonly SessionKill['state'][] = ['pending', 'done', 'gone'];

function toKill(item: Item): SessionKill {
  const state = STATES.find((candidate) => candidate === item.state);
  if (state === undefined || typeof item.id !== 'string' || typeof item.connectionId !== 'string')
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `DynamoDB item ${String(item.pk)} / ${String(item.sk)} is not a session kill this version of vpn-chatops wrote.`,
    );
  return {
    id: item.id,
    endpoint: item.endpoint as string,
    connectionId: item.connectionId,
    commonName: item.commonName as string | undefined,
    requestedBy: item.requestedBy as string,
    requestedAt: new Date(item.requestedAt as string),
    state,
    attempts: Number(item.attempts ?? 0),
    lastError: item.lastError as string | undefined,
    settledAt: typeof item.settledAt === 'string' ? new Date(item.settledAt) : undefined,
  };
}

/**
 * Session kills for agent-served endpoints, one partition per endpoint: the agent's every-2-s poll is a
 * strongly consistent query of that partition's pending kills; settled ones live beside them and expire after a week.
 */
export class DynamoDbSessionKillQueue implements SessionKillQueue {
  constructor(private readonly db: Database) {}

  async request(
    endpoint: string,
    sessions: { connectionId: string; commonName?: string }[],
    actor: string,
    at: Date,
  ): Promise<SessionKill[]> {
    if (sessions.some((session) => !session.connectionId))
      throw new VpnChatopsError('STATE', `A session kill on ${endpoint} needs the session's connection id.`);
    const kills: SessionKill[] = [];
    for (const session of sessions) kills.push(await this.requestOne(endpoint, session, actor, at));
    return kills;
  }

  private async requestOne(
    endpoint: string,
    session: { connectionId: string; commonName?: string },
    actor: string,
    at: Date,
  ): Promise<SessionKill> {
    for (let attempt = 1; ; attempt++) {
      const kill: SessionKill = {
        id: `${at.toISOString()}-${randomBytes(4).toString('hex')}`,
        endpoint,
        connectionId: session.connectionId,
        commonName: session.commonName,
        requestedBy: actor,
        requestedAt: at,
        state: 'pending',
        attempts: 0,
      };
      try {
        await this.db.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.db.tableName,
                  Item: { ...guardKey(endpoint, session.connectionId), id: kill.id },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: this.db.tableName,
                  Item: {
                    ...killKey(endpoint, kill.id),
                    ...kill,
                    requestedAt: at.toISOString(),
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        return kill;
      } catch (error) {
        if (!isConditionFailure(error) || attempt === REQUEST_ATTEMPTS) throw storeError(this.db, error);
      }
      const guard = await this.item(guardKey(endpoint, session.connectionId));
      const existing = typeof guard?.id === 'string' ? await this.find(endpoint, guard.id) : undefined;
      if (existing) return toKill(existing);
      await sleep(50 * attempt);
    }
  }

  private async item(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: key, ConsistentRead: true })),
    );
    return Item;
  }

  /** Pending first: settling deletes it and writes the settled one together, so a kill read as neither never was. */
  private async find(endpoint: string, id: string): Promise<Item | undefined> {
    return (await this.item(killKey(endpoint, id))) ?? (await this.item(settledKey(endpoint, id)));
  }

  async pending(endpoint: string): Promise<SessionKill[]> {
    const items = await queryAll(
      this.db,
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :kill)',
        // Kills that agents before this layout settled in place keep their `KILL#` key until they expire (a week).
        FilterExpression: '#state = :pending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':pk': partition(endpoint), ':kill': 'KILL#', ':pending': 'pending' },
        ConsistentRead: true,
      },
      PENDING_ROUND,
    );
    return items.slice(0, PENDING_ROUND).map(toKill);
  }

  async get(endpoint: string, ids: string[]): Promise<SessionKill[]> {
    const items = await Promise.all(ids.map((id) => this.find(endpoint, id)));
    return items.filter((item): item is Item => item !== undefined).map(toKill);
  }

  async settle(kill: SessionKill, outcome: { state: 'done' | 'gone' }, at: Date): Promise<void> {
    const settled: Item = {
      ...kill,
      requestedAt: kill.requestedAt.toISOString(),
      state: outcome.state,
      settledAt: at.toISOString(),
      [TTL_ATTRIBUTE]: Math.ceil((at.getTime() + SETTLED_TTL_MS) / 1000),
    };
    const fields = Object.keys(settled).filter((name) => settled[name] !== undefined);
    try {
      await this.db.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.db.tableName,
                Key: killKey(kill.endpoint, kill.id),
                ConditionExpression: '#state = :pending',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':pending': 'pending' },
              },
            },
            {
              // An update that creates the item, not a put: the agent's role may update kills, never put them.
              Update: {
                TableName: this.db.tableName,
                Key: settledKey(kill.endpoint, kill.id),
                UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
                ConditionExpression: 'attribute_not_exists(pk)',
                ExpressionAttributeNames: Object.fromEntries(fields.map((name, i) => [`#f${i}`, name])),
                ExpressionAttributeValues: Object.fromEntries(fields.map((name, i) => [`:f${i}`, settled[name]])),
              },
            },
            {
              // The next request for this connection id (OpenVPN reuses them after a restart) is a new kill.
              Delete: {
                TableName: this.db.tableName,
                Key: guardKey(kill.endpoint, kill.connectionId),
                ConditionExpression: 'attribute_not_exists(pk) OR id = :id',
                ExpressionAttributeValues: { ':id': kill.id },
              },
            },
          ],
        }),
      );
    } catch (error) {
      // Already settled (the agent retried a round whose answer was lost): nothing left to do.
      if (!isConditionFailure(error)) throw storeError(this.db, error);
    }
  }

  async failed(kill: SessionKill, error: string, at: Date): Promise<void> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: killKey(kill.endpoint, kill.id),
          UpdateExpression: 'SET lastError = :error, lastAttemptAt = :at ADD attempts :one',
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':error': error.slice(0, 2000),
            ':at': at.toISOString(),
            ':one': 1,
            ':pending': 'pending',
          },
        }),
      );
    } catch (failure) {
      if (!isConditionFailure(failure)) throw storeError(this.db, failure);
    }
  }
}
