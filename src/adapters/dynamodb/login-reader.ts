import { BatchGetCommand, BatchGetCommandOutput, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Approval } from '../../domain/approval';
import type { CertificateRecord } from '../../domain/certificate';
import { VpnChatopsError } from '../../domain/errors';
import { sleep } from '../../domain/time';
import type { LoginReader } from '../../ports';
import { approvalKey, coolDownHolds, coolDownKey, rememberKey, rememberedHolds, toApproval } from './approval-store';
import { certKey, cnKey, fromItem } from './certificate-store';
import { Database, guarded } from './client';

/** Unprocessed keys mean throttling; a login has seconds, not the import's patience. */
const BATCH_ATTEMPTS = 3;

/**
 * Two requests where CertificateStore.byActiveCn, ApprovalStore.isRemembered and ApprovalStore.isCoolingDown take
 * four: the CN's claim names the serial, then the certificate, its remembered approval and its cooldown are one
 * strongly consistent BatchGetItem. A decision a poll shows is confirmed, with the certificate, in one more.
 */
export class DynamoDbLoginReader implements LoginReader {
  constructor(private readonly db: Database) {}

  async read(
    cn: string,
    publicIp: string | undefined,
    now: Date,
  ): Promise<{ certificate: CertificateRecord | undefined; remembered: boolean; coolingDown: boolean }> {
    const { Item: claim } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: cnKey(cn), ConsistentRead: true })),
    );
    if (!claim) return { certificate: undefined, remembered: false, coolingDown: false };
    const serial = claim.serial as string;
    const remembering = publicIp ? rememberKey(serial, publicIp) : undefined;
    // A remembered login pays for the cooldown's read too (one read unit), so a prompted one saves a request.
    const items = await this.batchGet([certKey(serial), coolDownKey(serial), ...(remembering ? [remembering] : [])]);
    const certificate = activeFor(cn, found(items, certKey(serial)));
    return {
      certificate,
      remembered:
        certificate !== undefined &&
        remembering !== undefined &&
        rememberedHolds(found(items, remembering), now, certificate.suspendedAt),
      coolingDown: coolDownHolds(found(items, coolDownKey(serial)), now),
    };
  }

  async confirm(
    id: string,
    cn: string,
    serial: string,
  ): Promise<{ approval: Approval | undefined; certificate: CertificateRecord | undefined }> {
    const items = await this.batchGet([approvalKey(id), cnKey(cn), certKey(serial)]);
    const approval = found(items, approvalKey(id));
    // The claim read with the certificate: a certificate that lost its CN's claim is no longer the active one.
    const claimed = found(items, cnKey(cn))?.serial === serial;
    return {
      approval: approval && toApproval(approval, new Date()),
      certificate: claimed ? activeFor(cn, found(items, certKey(serial))) : undefined,
    };
  }

  private async batchGet(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const read: Record<string, unknown>[] = [];
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
      read.push(...(result.Responses?.[this.db.tableName] ?? []));
      pending = result.UnprocessedKeys?.[this.db.tableName]?.Keys;
    }
    return read;
  }
}

const found = (items: Record<string, unknown>[], key: { pk: string }) => items.find((item) => item.pk === key.pk);

/** As byActiveCn: a claim outlives its certificate's revocation, and a stale claim may name another CN's serial. */
function activeFor(cn: string, item: Record<string, unknown> | undefined): CertificateRecord | undefined {
  const record = item && fromItem(item);
  return record && record.cn === cn && record.status !== 'revoked' ? record : undefined;
}
