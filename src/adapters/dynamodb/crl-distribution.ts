import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { VpnChatopsError } from '../../domain/errors';
import { DAY_MS, sleep } from '../../domain/time';
import { logWarning } from '../../log';
import { parseCrl } from '../../pki/crl';
import type { AppliedCrl, CrlDistribution, DistributedCrl } from '../../ports';
import { Database, guarded, isConditionFailure, queryAll, storeError } from './client';
import { TTL_ATTRIBUTE } from './table';

/**
 * Sizes. DynamoDB items hold at most 400 KB and one TransactWriteItems at most 100 items and 4 MB in all.
 * A 20,000-entry CRL (AWS's cap, MAX_CRL_ENTRIES) is ~1.3 MB of PEM: 5 chunks of 300 KB, plus the manifest
 * and the pointer, is 7 items and ~1.3 MB. The largest PEM we accept, 3 MB, is 10 chunks + 2 = 12 items
 * and ~3 MB plus a few hundred bytes of keys and attributes: both limits hold with room to spare.
 */
const CHUNK_CHARS = 300_000;
const MAX_PEM_BYTES = 3_000_000;
/**
 * A superseded chunk set stays this long: the publisher reads back within seconds, but `exportCrl` and
 * doctor read the number the agent applied, which lags the newest while the agent is stopped. Two weeks
 * covers an agent down over a holiday week, long after its silence was alerted. The newest set never
 * expires (a CRL may stay newest for months); it gets its TTL when the next one supersedes it.
 */
const SUPERSEDED_TTL_MS = 14 * DAY_MS;
/** Two publishers racing on one endpoint conflict only briefly; the lease normally keeps them apart. */
const TRANSACTION_ATTEMPTS = 3;
/** A CRL number is at most 20 octets (RFC 5280 §5.2.3): 49 decimal digits, zero-padded so strings sort as numbers. */
const NUMBER_DIGITS = 49;
const MAX_NUMBER = (1n << 160n) - 1n;

// The bot's items (the pointer beside the chunk sets) and the agent's (what it applied) live in partitions of
// their own, so the agent's IAM role can be limited to its own partitions (infra/agent-role.ts).
const pointerKey = (endpoint: string) => ({ pk: `AGENT-CRL#${endpoint}`, sk: 'NEWEST' });
const appliedKey = (endpoint: string) => ({ pk: `AGENT-ENDPOINT#${endpoint}`, sk: 'CRL-APPLIED' });
const setsPk = (endpoint: string) => `AGENT-CRL#${endpoint}`;
const ordered = (number: bigint) => number.toString().padStart(NUMBER_DIGITS, '0');
const manifestSk = (number: bigint) => `MANIFEST#${ordered(number)}`;
const chunkPrefix = (number: bigint) => `CHUNK#${ordered(number)}#`;
const chunkSk = (number: bigint, index: number) => `${chunkPrefix(number)}${String(index).padStart(3, '0')}`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The issuing CA, as the CRL names it: numbers only move forward within one CA, and a new CA's numbers
 * start again at 1 (the CA-state store orders its records the same way).
 */
function issuerOf(crl: ReturnType<typeof parseCrl>): string {
  return crl.authorityKeyId ?? `issuer-sha256:${createHash('sha256').update(crl.issuerDer).digest('hex')}`;
}

function cancellationCodes(error: unknown): string[] | undefined {
  if ((error as { name?: string }).name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}

function checkedPem(endpoint: string, crl: { number: bigint; pem: string }): string {
  if (crl.number < 1n || crl.number > MAX_NUMBER)
    throw new VpnChatopsError('CRL_NUMBER', `CRL number ${crl.number} is not a positive number of at most 20 octets.`);
  // PEM is ASCII: a character is a byte, so chunks of CHUNK_CHARS are CHUNK_CHARS bytes.
  if (!/^[\x20-\x7e\r\n\t]*$/.test(crl.pem))
    throw new VpnChatopsError('INVALID_CRL', `The CRL for ${endpoint} is not PEM text (it has non-ASCII bytes).`);
  if (crl.pem.length > MAX_PEM_BYTES)
    throw new VpnChatopsError(
      'CRL_TOO_LARGE',
      `The CRL for ${endpoint} is ${crl.pem.length.toLocaleString('en-US')} bytes; agent-served endpoints take at most ${MAX_PEM_BYTES.toLocaleString('en-US')}.`,
    );
  return crl.pem;
}

/**
 * CRLs for agent-served endpoints, in the shared table. One CRL is a manifest and its chunks under
 * AGENT-CRL#<endpoint>, written in one transaction with the endpoint's pointer to its newest number, so
 * a reader that follows the pointer finds every chunk; it still checks count and SHA-256 and returns
 * nothing rather than part of a CRL.
 */
export class DynamoDbCrlDistribution implements CrlDistribution {
  constructor(private readonly db: Database) {}

  async publish(endpoint: string, crl: { number: bigint; pem: string }, at: Date): Promise<boolean> {
    const pem = checkedPem(endpoint, crl);
    const parsed = parseCrl(pem, undefined, { entries: false });
    if (parsed.number !== crl.number)
      throw new VpnChatopsError(
        'INVALID_CRL',
        `The CRL for ${endpoint} carries number ${parsed.number ?? 'none'}, not ${crl.number}; nothing was published.`,
      );
    const issuer = issuerOf(parsed);
    const digest = sha256(pem);
    const chunks: string[] = [];
    for (let offset = 0; offset < pem.length; offset += CHUNK_CHARS)
      chunks.push(pem.slice(offset, offset + CHUNK_CHARS));
    const number = crl.number.toString();
    const publishedAt = at.toISOString();
    const TableName = this.db.tableName;
    const items = [
      {
        Put: {
          TableName,
          Item: {
            ...pointerKey(endpoint),
            endpoint,
            number,
            order: ordered(crl.number),
            issuer,
            sha256: digest,
            publishedAt,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR issuer <> :issuer OR #order < :order',
          ExpressionAttributeNames: { '#order': 'order' },
          ExpressionAttributeValues: { ':issuer': issuer, ':order': ordered(crl.number) },
        },
      },
      {
        Put: {
          TableName,
          Item: {
            pk: setsPk(endpoint),
            sk: manifestSk(crl.number),
            endpoint,
            number,
            issuer,
            chunks: chunks.length,
            bytes: pem.length,
            sha256: digest,
            publishedAt,
          },
        },
      },
      ...chunks.map((text, index) => ({
        Put: { TableName, Item: { pk: setsPk(endpoint), sk: chunkSk(crl.number, index), index, text } },
      })),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.doc.send(new TransactWriteCommand({ TransactItems: items }));
        break;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes?.[0] === 'ConditionalCheckFailed') return this.alreadyThere(endpoint, crl.number, digest);
        if (!codes?.includes('TransactionConflict') || attempt === TRANSACTION_ATTEMPTS)
          throw storeError(this.db, error);
        await sleep(100 * attempt);
      }
    }
    await this.expireSuperseded(endpoint, crl.number, at);
    return true;
  }

  /** A retried publish whose first attempt landed finds its own CRL: that is success, not a refusal. */
  private async alreadyThere(endpoint: string, number: bigint, digest: string): Promise<boolean> {
    const pointer = await this.pointer(endpoint);
    return pointer?.order === ordered(number) && pointer.sha256 === digest;
  }

  /**
   * Gives every older chunk set its TTL. Best effort: the new CRL is already published, and a set left
   * without a TTL is picked up by the next publish, which looks for all of them again.
   */
  private async expireSuperseded(endpoint: string, newest: bigint, at: Date): Promise<void> {
    const expiresAt = Math.ceil((at.getTime() + SUPERSEDED_TTL_MS) / 1000);
    try {
      const manifests = await queryAll(this.db, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :manifest)',
        FilterExpression: 'attribute_not_exists(#ttl)',
        ProjectionExpression: 'sk, #number, chunks',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE, '#number': 'number' },
        ExpressionAttributeValues: { ':pk': setsPk(endpoint), ':manifest': 'MANIFEST#' },
      });
      for (const manifest of manifests.filter((item) => item.sk !== manifestSk(newest))) {
        const number = BigInt(manifest.number as string);
        const keys = [
          manifestSk(number),
          ...Array.from({ length: Number(manifest.chunks) }, (_, i) => chunkSk(number, i)),
        ];
        for (const sk of keys) await this.expire(endpoint, sk, expiresAt);
      }
    } catch (error) {
      logWarning(
        `CRL #${newest} for ${endpoint} is published, but older chunk sets could not be given their expiry yet (the next publish retries): ${(error as Error).message}`,
      );
    }
  }

  private async expire(endpoint: string, sk: string, expiresAt: number): Promise<void> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: { pk: setsPk(endpoint), sk },
          UpdateExpression: 'SET #ttl = :ttl',
          // Never leave behind a bare item for a chunk that is already gone.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':ttl': expiresAt },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw storeError(this.db, error);
    }
  }

  private async pointer(endpoint: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(
        new GetCommand({ TableName: this.db.tableName, Key: pointerKey(endpoint), ConsistentRead: true }),
      ),
    );
    return Item;
  }

  async newest(endpoint: string): Promise<Pick<DistributedCrl, 'number' | 'sha256'> | undefined> {
    const pointer = await this.pointer(endpoint);
    return typeof pointer?.number === 'string' && typeof pointer.sha256 === 'string'
      ? { number: pointer.number, sha256: pointer.sha256 }
      : undefined;
  }

  async get(endpoint: string, number?: bigint): Promise<DistributedCrl | undefined> {
    if (number === undefined) {
      const pointer = await this.pointer(endpoint);
      if (typeof pointer?.number !== 'string') return undefined;
      const newest = await this.read(endpoint, BigInt(pointer.number));
      return newest?.sha256 === pointer.sha256 ? newest : undefined;
    }
    return number >= 1n && number <= MAX_NUMBER ? this.read(endpoint, number) : undefined;
  }

  private async read(endpoint: string, number: bigint): Promise<DistributedCrl | undefined> {
    const { Item: manifest } = await guarded(this.db, () =>
      this.db.doc.send(
        new GetCommand({
          TableName: this.db.tableName,
          Key: { pk: setsPk(endpoint), sk: manifestSk(number) },
          ConsistentRead: true,
        }),
      ),
    );
    const count = manifest?.chunks;
    if (typeof count !== 'number' || typeof manifest?.sha256 !== 'string') return undefined;
    const items = await queryAll(this.db, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': setsPk(endpoint), ':prefix': chunkPrefix(number) },
      ConsistentRead: true,
    });
    const parts: string[] = new Array<string>(count);
    for (const item of items)
      if (typeof item.index === 'number' && item.index < count && typeof item.text === 'string')
        parts[item.index] = item.text;
    // A sparse array joins its holes as empty strings: count them first.
    if (parts.filter((part) => part !== undefined).length !== count) return undefined;
    const pem = parts.join('');
    if (sha256(pem) !== manifest.sha256) return undefined;
    return {
      endpoint,
      number: number.toString(),
      pem,
      sha256: manifest.sha256,
      publishedAt: new Date(manifest.publishedAt as string),
    };
  }

  async reportApplied(endpoint: string, applied: AppliedCrl): Promise<void> {
    await guarded(this.db, () =>
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: {
            ...appliedKey(endpoint),
            endpoint,
            number: applied.number,
            sha256: applied.sha256,
            at: applied.at.toISOString(),
            agentId: applied.agentId,
          },
        }),
      ),
    );
  }

  async applied(endpoint: string): Promise<AppliedCrl | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(
        new GetCommand({ TableName: this.db.tableName, Key: appliedKey(endpoint), ConsistentRead: true }),
      ),
    );
    if (!Item) return undefined;
    return {
      number: Item.number as string,
      sha256: Item.sha256 as string,
      at: new Date(Item.at as string),
      agentId: Item.agentId as string,
    };
  }
}
