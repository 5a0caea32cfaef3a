import { BatchGetCommand, BatchGetCommandOutput, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CertificateRecord } from '../../domain/certificate';
import { VpnChatopsError } from '../../domain/errors';
import { sleep } from '../../domain/time';
import type { LoginReader } from '../../ports';
import { rememberKey, rememberedHolds } from './approval-store';
import { certKey, cnKey, fromItem } from './certificate-store';
import { Database, guarded } from './client';

/** Unprocessed keys mean throttling; a login has seconds, not the import's patience. */
const BATCH_ATTEMPTS = 3;

/**
 * Two requests where CertificateStore.byActiveCn and ApprovalStore.isRemembered take three: the CN's claim
 * names the serial, then the certificate and its remembered approval are one strongly consistent BatchGetItem.
 */
export class DynamoDbLoginReader implements LoginReader {
  constructor(private readonly db: Database) {}

  async read(
    cn: string,
    publicIp: string | undefined,
    now: Date,
  ): Promise<{ certificate: CertificateRecord | undefined; remembered: boolean }> {
    const { Item: claim } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: cnKey(cn), ConsistentRead: true })),
    );
    if (!claim) return { certificate: undefined, remembered: false };
    const serial = claim.serial as string;
    const items = await this.batchGet([certKey(serial), ...(publicIp ? [rememberKey(serial, publicIp)] : [])]);
    const stored = items.find((item) => item.pk === certKey(serial).pk);
    const record = stored && fromItem(stored);
    // As byActiveCn: a claim outlives its certificate's revocation, and a stale claim may name another CN's serial.
    const certificate = record && record.cn === cn && record.status !== 'revoked' ? record : undefined;
    const remembrance = publicIp ? items.find((item) => item.pk === rememberKey(serial, publicIp).pk) : undefined;
    return {
      certificate,
      remembered: certificate !== undefined && rememberedHolds(remembrance, now, certificate.suspendedAt),
    };
  }

  private async batchGet(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    let pending: Record<string, unknown>[] | undefined = keys;
    for (let attempt = 0; pending?.length; attempt++) {
      if (attempt === BATCH_ATTEMPTS)
        throw new VpnChatopsError('STORE_UNAVAILABLE', `DynamoDB ${this.db.where} kept throttling the login's reads.`);
      if (attempt > 0) await sleep(25 * 2 ** attempt);
      const result: BatchGetCommandOutput = await guarded(this.db, () =>
        this.db.doc.send(
          new BatchGetCommand({ RequestItems: { [this.db.tableName]: { Keys: pending, ConsistentRead: true } } }),
        ),
      );
      found.push(...(result.Responses?.[this.db.tableName] ?? []));
      pending = result.UnprocessedKeys?.[this.db.tableName]?.Keys;
    }
    return found;
  }
}
