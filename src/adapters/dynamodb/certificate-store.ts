import {
  BatchGetCommand,
  BatchGetCommandOutput,
  BatchWriteCommand,
  BatchWriteCommandOutput,
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { CertificateRecord, CertificateStatus, StoredStatus } from '../../domain/certificate';
import { untaggedCn } from '../../domain/cn';
import { VpnChatopsError } from '../../domain/errors';
import { Revocation, RevocationReason } from '../../domain/revocation';
import type { CertificateStore } from '../../ports';
import { Database, guarded, isConditionFailure, queryAll, storeError } from './client';
import { INDEX } from './table';
import { certificateCounts, certificatePageItems } from './certificate-pages';
import { sleep } from '../../domain/time';

type Item = Record<string, unknown>;

export const certKey = (serial: string) => ({ pk: `CERT#${serial}`, sk: 'CERT' });

/**
 * The revoked index is spread over a few partition keys by serial, so building a CRL reads them in
 * parallel (a 20,000-entry CRL is several 1 MB pages) and no single index partition runs hot.
 */
const REVOKED_SHARDS = 8;
const revokedShard = (serial: string) => `REVOKED#${parseInt(serial.slice(-2), 16) % REVOKED_SHARDS}`;
/** Held by the certificate bearing the CN until it expires, revoked or not: a CN never names two certificates. */
export const cnKey = (cn: string) => ({ pk: `CN#${cn}`, sk: 'CN' });
/** One live certificate per member's device: held while the certificate lives, freed by its revocation. */
const slotKey = (cn: string) => ({ pk: `SLOT#${untaggedCn(cn)}`, sk: 'SLOT' });
const iso = (date: Date) => date.toISOString();

function toItem(record: CertificateRecord): Item {
  const item: Item = {
    ...certKey(record.serial),
    type: 'certificate',
    serial: record.serial,
    cn: record.cn,
    slackId: record.slackId,
    device: record.device,
    displayName: record.displayName,
    status: record.status,
    issuedAt: iso(record.issuedAt),
    notBefore: iso(record.notBefore),
    notAfter: iso(record.notAfter),
    certPem: record.certPem,
    source: record.source,
    issuedBy: record.issuedBy,
    revokedAt: record.revokedAt && iso(record.revokedAt),
    reason: record.reason,
    revokedBy: record.revokedBy,
    replaces: record.replaces,
    replacedBy: record.replacedBy,
    replacedAt: record.replacedAt && iso(record.replacedAt),
    suspendedAt: record.suspendedAt && iso(record.suspendedAt),
    gsi2pk: `STATUS#${record.status}`,
    gsi2sk: `${iso(record.notAfter)}#${record.serial}`,
  };
  if (record.slackId)
    Object.assign(item, { gsi1pk: `USER#${record.slackId}`, gsi1sk: `CERT#${iso(record.issuedAt)}#${record.serial}` });
  if (record.status === 'revoked')
    Object.assign(item, { gsi3pk: revokedShard(record.serial), gsi3sk: `${iso(record.notAfter)}#${record.serial}` });
  return item;
}

export function fromItem(item: Item): CertificateRecord {
  const date = (key: string) => (typeof item[key] === 'string' ? new Date(item[key] as string) : undefined);
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : undefined);
  return {
    serial: item.serial as string,
    cn: item.cn as string,
    slackId: text('slackId'),
    device: text('device'),
    displayName: text('displayName'),
    status: item.status as StoredStatus,
    issuedAt: date('issuedAt')!,
    notBefore: date('notBefore')!,
    notAfter: date('notAfter')!,
    certPem: text('certPem'),
    source: item.source as CertificateRecord['source'],
    issuedBy: item.issuedBy as string,
    revokedAt: date('revokedAt'),
    reason: text('reason') as RevocationReason | undefined,
    revokedBy: text('revokedBy'),
    replaces: text('replaces'),
    replacedBy: text('replacedBy'),
    replacedAt: date('replacedAt'),
    suspendedAt: date('suspendedAt'),
  };
}

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function inParallel<T>(batches: T[], work: (batch: T) => Promise<void>, concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, batches.length) }, async () => {
      while (next < batches.length) await work(batches[next++]);
    }),
  );
}

/** DynamoDB hands back unprocessed items when throttled: wait longer each time, and give up after a while. */
async function backoff(attempt: number): Promise<void> {
  if (attempt >= 8)
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      'DynamoDB kept throttling the import; run it again later (already imported certificates are skipped).',
    );
  await sleep(50 * 2 ** attempt);
}

type CnCandidate = Pick<CertificateRecord, 'serial' | 'cn' | 'status' | 'notAfter'>;

/** What importMany reads of a serial already stored: enough to claim its CN and to carry a placeholder's revocation. */
const STORED_PROJECTION = ['serial', 'cn', 'status', 'notAfter', 'source', 'revokedAt', 'reason', 'revokedBy'];

/**
 * A placeholder exists because one of our CRLs listed the serial: that revocation stands even when the
 * imported record (a stale index.txt, say) calls the certificate valid.
 */
function stillRevoked(record: CertificateRecord, placeholder: Item): CertificateRecord {
  if (record.status === 'revoked') return record;
  return {
    ...record,
    status: 'revoked',
    revokedAt: new Date(placeholder.revokedAt as string),
    reason: placeholder.reason as RevocationReason,
    revokedBy: placeholder.revokedBy as string | undefined,
  };
}

export class DynamoDbCertificateStore implements CertificateStore {
  constructor(private readonly db: Database) {}

  /**
   * The certificate, its CN claim and its device slot in one transaction: a CN is borne by one
   * certificate until that one expires, and a device has at most one live certificate.
   */
  async create(record: CertificateRecord): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.createOnce(record);
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw storeError(this.db, error);
        // A slot left behind by a revocation interrupted before it freed the slot is stale: free it once.
        if (attempt === 0 && (await this.releaseStaleSlot(record.cn))) continue;
        throw new VpnChatopsError(
          'CONFLICT',
          `${record.cn} is already borne by an unexpired certificate, its device already has an active certificate, or serial ${record.serial} exists.`,
          { cause: error },
        );
      }
    }
  }

  private createOnce(record: CertificateRecord) {
    const claim = { serial: record.serial, notAfter: iso(record.notAfter) };
    // An expired holder no longer blocks its CN or its slot.
    const free = {
      ConditionExpression: 'attribute_not_exists(pk) OR notAfter < :now',
      ExpressionAttributeValues: { ':now': iso(new Date()) },
    };
    return this.db.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.db.tableName,
              Item: toItem(record),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: this.db.tableName, Item: { ...cnKey(record.cn), ...claim }, ...free } },
          { Put: { TableName: this.db.tableName, Item: { ...slotKey(record.cn), ...claim }, ...free } },
        ],
      }),
    );
  }

  private async releaseStaleSlot(cn: string): Promise<boolean> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: slotKey(cn), ConsistentRead: true })),
    );
    if (!Item) return false;
    const holder = await this.get(Item.serial as string);
    if (holder && holder.status !== 'revoked') return false;
    await this.releaseSlot(cn, Item.serial as string);
    return true;
  }

  /**
   * Migrations: thousands of records, so batched. A serial already stored is skipped, never overwritten,
   * except a placeholder (`source: 'crl'`, a serial known only from a CRL of ours): the real record takes
   * its place, still revoked, so it is pruned at its real expiry instead of the CA's.
   */
  async importMany(records: CertificateRecord[]): Promise<number> {
    const unique = [...new Map(records.map((record) => [record.serial, record])).values()];
    const stored = new Map<string, Item>();
    await inParallel(chunk(unique, 100), async (batch) => {
      let keys: Record<string, unknown>[] | undefined = batch.map((record) => certKey(record.serial));
      for (let attempt = 0; keys?.length; attempt++) {
        const result: BatchGetCommandOutput = await guarded(this.db, () =>
          this.db.doc.send(
            new BatchGetCommand({
              RequestItems: {
                [this.db.tableName]: {
                  Keys: keys,
                  ProjectionExpression: STORED_PROJECTION.map((name) => `#${name}`).join(', '),
                  ExpressionAttributeNames: Object.fromEntries(STORED_PROJECTION.map((name) => [`#${name}`, name])),
                },
              },
            }),
          ),
        );
        for (const item of result.Responses?.[this.db.tableName] ?? []) stored.set(item.serial as string, item);
        keys = result.UnprocessedKeys?.[this.db.tableName]?.Keys;
        if (keys?.length) await backoff(attempt);
      }
    });
    const fresh = unique.filter((record) => !stored.has(record.serial));
    await inParallel(chunk(fresh, 25), async (batch) => {
      let requests = batch.map((record) => ({ PutRequest: { Item: toItem(record) } })) as
        NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] | undefined;
      for (let attempt = 0; requests?.length; attempt++) {
        const result: BatchWriteCommandOutput = await guarded(this.db, () =>
          this.db.doc.send(new BatchWriteCommand({ RequestItems: { [this.db.tableName]: requests! } })),
        );
        requests = result.UnprocessedItems?.[this.db.tableName];
        if (requests?.length) await backoff(attempt);
      }
    });
    const replaced = await this.replacePlaceholders(
      unique.flatMap((record) => {
        const placeholder = stored.get(record.serial);
        return placeholder?.source === 'crl' && record.source !== 'crl' ? [stillRevoked(record, placeholder)] : [];
      }),
    );
    const written = [...fresh, ...replaced];
    // A skipped serial counts as stored, not as the input says: a stale index.txt may call valid what we revoked.
    const writtenSerials = new Set(written.map((record) => record.serial));
    const kept = [...stored.values()]
      .filter((item) => !writtenSerials.has(item.serial as string))
      .map((item): CnCandidate => ({
        serial: item.serial as string,
        cn: item.cn as string,
        status: item.status as StoredStatus,
        notAfter: new Date(item.notAfter as string),
      }));
    // Easy-RSA allows several live certificates per CN: the CN claim goes to the one that lives longest.
    // Claimed again for skipped serials too, so a re-run finishes an import that failed before its claims.
    const newest = new Map<string, CnCandidate>();
    for (const record of [...written, ...kept]) {
      if (record.status === 'revoked' || record.notAfter.getTime() <= Date.now()) continue;
      const current = newest.get(record.cn);
      if (!current || current.notAfter < record.notAfter) newest.set(record.cn, record);
    }
    await inParallel([...newest.values()], async (record) => {
      try {
        await this.db.doc.send(
          new PutCommand({
            TableName: this.db.tableName,
            Item: { ...cnKey(record.cn), serial: record.serial, notAfter: iso(record.notAfter) },
            ConditionExpression: 'attribute_not_exists(pk) OR notAfter < :notAfter',
            ExpressionAttributeValues: { ':notAfter': iso(record.notAfter) },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw storeError(this.db, error);
      }
    });
    return written.length;
  }

  /** One conditional put each: a placeholder that changed meanwhile (someone else replaced it) is left alone. */
  private async replacePlaceholders(records: CertificateRecord[]): Promise<CertificateRecord[]> {
    const replaced: CertificateRecord[] = [];
    await inParallel(records, async (record) => {
      try {
        await this.db.doc.send(
          new PutCommand({
            TableName: this.db.tableName,
            Item: toItem(record),
            ConditionExpression: '#source = :crl',
            ExpressionAttributeNames: { '#source': 'source' },
            ExpressionAttributeValues: { ':crl': 'crl' },
          }),
        );
        replaced.push(record);
      } catch (error) {
        if (!isConditionFailure(error)) throw storeError(this.db, error);
      }
    });
    return replaced;
  }

  async get(serial: string): Promise<CertificateRecord | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: certKey(serial), ConsistentRead: true })),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async byUser(slackId: string): Promise<CertificateRecord[]> {
    return (
      await queryAll(this.db, {
        IndexName: INDEX.byUser,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `USER#${slackId}` },
      })
    ).map(fromItem);
  }

  async byActiveCn(cn: string): Promise<CertificateRecord | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: cnKey(cn), ConsistentRead: true })),
    );
    if (!Item) return undefined;
    const record = await this.get(Item.serial as string);
    return record && record.cn === cn && record.status !== 'revoked' ? record : undefined;
  }

  async list(filter: { status?: CertificateStatus } = {}): Promise<CertificateRecord[]> {
    const now = new Date();
    const statuses: StoredStatus[] =
      filter.status === undefined || filter.status === 'expired' ? ['active', 'suspended', 'revoked'] : [filter.status];
    const records = (
      await Promise.all(
        statuses.map((status) =>
          queryAll(this.db, {
            IndexName: INDEX.byStatus,
            KeyConditionExpression: 'gsi2pk = :pk',
            ExpressionAttributeValues: { ':pk': `STATUS#${status}` },
          }),
        ),
      )
    )
      .flat()
      .map(fromItem);
    const expired = (r: CertificateRecord) => r.status !== 'revoked' && r.notAfter <= now;
    if (filter.status === 'expired') return records.filter(expired);
    if (filter.status === 'active' || filter.status === 'suspended') return records.filter((r) => !expired(r));
    return records;
  }

  async page(query: {
    limit: number;
    cursor?: string;
    now: Date;
  }): Promise<{ records: CertificateRecord[]; next?: string }> {
    const { items, next } = await certificatePageItems(this.db, query.limit, query.now, query.cursor);
    return { records: items.map(fromItem), next };
  }

  counts(now: Date): Promise<Record<CertificateStatus, number>> {
    return certificateCounts(this.db, now, REVOKED_SHARDS);
  }

  async markRevoked(
    serial: string,
    change: { revokedAt: Date; reason: RevocationReason; actor: string },
  ): Promise<CertificateRecord | undefined> {
    const current = await this.get(serial);
    if (!current) throw new VpnChatopsError('NOT_FOUND', `No certificate with serial ${serial}.`);
    if (current.status === 'revoked') return undefined;
    let revoked: CertificateRecord;
    try {
      // An update, not a put of what was read: a renewal linking this certificate meanwhile is kept.
      const { Attributes } = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: certKey(serial),
          UpdateExpression:
            'SET #status = :revoked, revokedAt = :at, reason = :reason, revokedBy = :actor, gsi2pk = :byStatus, gsi3pk = :shard, gsi3sk = :revokedSort',
          // Two admins revoking at once: exactly one write wins, the other sees "already revoked".
          ConditionExpression: '#status IN (:active, :suspended)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':revoked': 'revoked',
            ':at': iso(change.revokedAt),
            ':reason': change.reason,
            ':actor': change.actor,
            ':byStatus': 'STATUS#revoked',
            ':shard': revokedShard(serial),
            ':revokedSort': `${iso(current.notAfter)}#${serial}`,
            ':active': 'active',
            ':suspended': 'suspended',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      revoked = fromItem(Attributes!);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw storeError(this.db, error);
    }
    // The gate reads the certificate's status, so access is already refused. A tagged CN stays claimed
    // until the certificate expires; freeing the device's slot lets the member re-issue, under a CN of
    // its own. A CN without a tag is never issued again, only imported: Easy-RSA reuses CNs, and the
    // claim passes to a live certificate imported with it, as it did before tags.
    await this.releaseSlot(current.cn, serial);
    if (untaggedCn(current.cn) === current.cn) await this.releaseCn(current.cn, serial);
    return revoked;
  }

  async setSuspended(serial: string, suspended: boolean): Promise<boolean> {
    const [from, to] = suspended ? ['active', 'suspended'] : ['suspended', 'active'];
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: certKey(serial),
          // The pause time ends the approvals remembered for this certificate before it (see decide-connection).
          UpdateExpression: `SET #status = :to, gsi2pk = :byStatus${suspended ? ', suspendedAt = :now' : ''}`,
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':from': from,
            ':to': to,
            ':byStatus': `STATUS#${to}`,
            ...(suspended && { ':now': iso(new Date()) }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  async revocationsForCrl(notAfterSince: Date): Promise<Revocation[]> {
    const shards = Array.from({ length: REVOKED_SHARDS }, (_, shard) =>
      queryAll(this.db, {
        IndexName: INDEX.revoked,
        KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk > :since',
        ExpressionAttributeValues: { ':pk': `REVOKED#${shard}`, ':since': iso(notAfterSince) },
      }),
    );
    const items = (await Promise.all(shards)).flat();
    return items.map((item) => ({
      serial: item.serial as string,
      revokedAt: new Date(item.revokedAt as string),
      reason: item.reason as RevocationReason,
    }));
  }

  async expiring(from: Date, to: Date): Promise<CertificateRecord[]> {
    const range = { ':from': `${iso(from)}~`, ':to': `${iso(to)}~` };
    const pages = await Promise.all(
      (['active', 'suspended'] as const).map((status) =>
        queryAll(this.db, {
          IndexName: INDEX.byStatus,
          KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': `STATUS#${status}`, ...range },
        }),
      ),
    );
    return pages
      .flat()
      .map(fromItem)
      .sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
  }

  async markReplaced(serial: string, replacement: string, at: Date, previous?: string): Promise<boolean> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: certKey(serial),
          UpdateExpression: 'SET replacedBy = :replacement, replacedAt = :at',
          ConditionExpression: `#status IN (:active, :suspended) AND (attribute_not_exists(replacedBy)${previous === undefined ? '' : ' OR replacedBy = :previous'})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':replacement': replacement,
            ':at': iso(at),
            ':active': 'active',
            ':suspended': 'suspended',
            ...(previous === undefined ? {} : { ':previous': previous }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  private async releaseCn(cn: string, serial: string): Promise<void> {
    await this.releaseClaim(cnKey(cn), serial);
  }

  private async releaseSlot(cn: string, serial: string): Promise<void> {
    await this.releaseClaim(slotKey(cn), serial);
  }

  private async releaseClaim(key: { pk: string; sk: string }, serial: string): Promise<void> {
    try {
      await this.db.doc.send(
        new DeleteCommand({
          TableName: this.db.tableName,
          Key: key,
          ConditionExpression: 'serial = :serial',
          ExpressionAttributeValues: { ':serial': serial },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw storeError(this.db, error);
    }
  }
}
