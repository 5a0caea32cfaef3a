import { startInvocationLog } from '../../log';
import { perContainer } from '../../per-container';
import type { StreamRecord } from '../dynamodb/audit-stream-record';
import { ForwardDeps, forwardAuditRecords } from '../eventbridge/audit-events';

/** The table's stream (filtered to inserted audit items) → here → the audit bus, a batch at a time. */
export function auditStreamHandler(build: () => Promise<ForwardDeps>) {
  const deps = perContainer(build);
  return async (event: { Records?: StreamRecord[] }, context?: unknown) => {
    startInvocationLog(context, { records: String(event.Records?.length ?? 0) });
    return forwardAuditRecords(event.Records ?? [], await deps());
  };
}
