import { DynamoDbAccessRequestStore } from './access-request-store';
import { DynamoDbApprovalStore } from './approval-store';
import { DynamoDbAuditLog } from './audit-log';
import { DynamoDbCertificateStore } from './certificate-store';
import type { Database } from './client';
import { DynamoDbCrlStateStore } from './crl-state-store';
import { DynamoDbFloodStateStore } from './flood-state-store';
import { DynamoDbGrantStore } from './grant-store';
import { DynamoDbIdempotencyStore } from './idempotency-store';
import { DynamoDbReconcileProgressStore } from './reconcile-progress-store';

export function storesFor(db: Database) {
  return {
    certificates: new DynamoDbCertificateStore(db),
    crlState: new DynamoDbCrlStateStore(db),
    audit: new DynamoDbAuditLog(db),
    idempotency: new DynamoDbIdempotencyStore(db),
    approvals: new DynamoDbApprovalStore(db),
    grants: new DynamoDbGrantStore(db),
    accessRequests: new DynamoDbAccessRequestStore(db),
    floodState: new DynamoDbFloodStateStore(db),
    reconcileProgress: new DynamoDbReconcileProgressStore(db),
  };
}
