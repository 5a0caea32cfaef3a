import type { AuditEntry } from '../../domain/audit';
import { sleep } from '../../domain/time';
import { logWarning } from '../../log';
import { AuditRecord, StreamRecord, auditRecordOf } from '../dynamodb/audit-stream-record';
import type { BusEvent, EventBus } from './event-bus';

/** Every event's source; its detail type is the entry's action. */
export const AUDIT_EVENT_SOURCE = 'vpn-chatops';

/** PutEvents takes at most 10 entries a call. */
const PUT_EVENTS_MAX = 10;
const ATTEMPTS = 3;

/** The event for one entry: detail is the entry as `vpnctl audit --json` prints it, its `id` the entry's. */
export function auditEvent(entry: AuditEntry, busName: string): BusEvent {
  return {
    EventBusName: busName,
    Source: AUDIT_EVENT_SOURCE,
    DetailType: entry.action,
    Detail: JSON.stringify(entry),
    Time: entry.at,
  };
}

export interface ForwardDeps {
  bus: EventBus;
  busName: string;
  retryDelayMs?: number;
}

/**
 * Sends the audit entries among `records` to the bus, in order, 10 a call, sending again those
 * PutEvents reports failed. Returns the sequence numbers of the records it could not send: Lambda
 * retries the batch from the first of them (ReportBatchItemFailures), so delivery is at least once and
 * a consumer dedupes on `detail.id`. A junk audit record is logged and passed over: no retry reads it better,
 * and the shard behind it would wait for nothing.
 */
export async function forwardAuditRecords(
  records: (StreamRecord & { dynamodb?: { SequenceNumber?: string } })[],
  deps: ForwardDeps,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const sendable: { entry: AuditEntry; sequence: string }[] = [];
  for (const record of records) {
    const read: AuditRecord = auditRecordOf(record);
    const sequence = record.dynamodb?.SequenceNumber ?? '';
    if (read.kind === 'junk') logWarning(`audit stream: record ${sequence} skipped: ${read.why}`);
    if (read.kind === 'audit') sendable.push({ entry: read.entry, sequence });
  }
  for (let start = 0; start < sendable.length; start += PUT_EVENTS_MAX) {
    const chunk = sendable.slice(start, start + PUT_EVENTS_MAX);
    const unsent = await sendChunk(chunk, deps);
    if (unsent.length) {
      // Everything after the first failure is retried with it; report it and what follows it.
      const first = chunk.indexOf(unsent[0]);
      return {
        batchItemFailures: [...chunk.slice(first), ...sendable.slice(start + PUT_EVENTS_MAX)].map(({ sequence }) => ({
          itemIdentifier: sequence,
        })),
      };
    }
  }
  return { batchItemFailures: [] };
}

async function sendChunk<T extends { entry: AuditEntry }>(chunk: T[], deps: ForwardDeps): Promise<T[]> {
  let pending = chunk;
  for (let attempt = 1; attempt <= ATTEMPTS && pending.length; attempt++) {
    if (attempt > 1) await sleep((deps.retryDelayMs ?? 200) * 2 ** (attempt - 2));
    try {
      const results = await deps.bus.putEvents(pending.map(({ entry }) => auditEvent(entry, deps.busName)));
      const failed = pending.filter((_, i) => !results[i]?.EventId);
      for (const [i, result] of results.entries())
        if (!result.EventId)
          logWarning(`audit stream: ${pending[i]?.entry.id} not accepted: ${result.ErrorCode ?? 'no event id'}`);
      pending = failed;
    } catch (error) {
      logWarning(`audit stream: PutEvents failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return pending;
}
