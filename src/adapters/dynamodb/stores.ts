import { DynamoDbAgentRegistry } from './agent-registry';
import { DynamoDbApprovalStore } from './approval-store';
import { DynamoDbAuditLog } from './audit-log';
import { DynamoDbCertificateStore } from './certificate-store';
import type { Database } from './client';
import { DynamoDbCrlDistribution } from './crl-distribution';
import { DynamoDbCrlStateStore } from './crl-state-store';
import { DynamoDbEndpointLease } from './endpoint-lease';
import { DynamoDbIdempotencyStore } from './idempotency-store';
import { DynamoDbSessionKillQueue } from './session-kill-queue';
import { DynamoDbShippedLog } from './shipped-log';

export function storesFor(db: Database) {
  return {
    certificates: new DynamoDbCertificateStore(db),
    crlState: new DynamoDbCrlStateStore(db),
    audit: new DynamoDbAuditLog(db),
    idempotency: new DynamoDbIdempotencyStore(db),
    approvals: new DynamoDbApprovalStore(db),
    crlDistribution: new DynamoDbCrlDistribution(db),
    sessionKills: new DynamoDbSessionKillQueue(db),
    agents: new DynamoDbAgentRegistry(db),
    agentLease: new DynamoDbEndpointLease(db),
    shippedLog: new DynamoDbShippedLog(db),
  };
}
