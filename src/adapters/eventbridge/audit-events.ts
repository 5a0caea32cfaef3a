import type { AuditEntry } from '../../domain/audit';
import { messageOf } from '../../domain/errors';
import { sleep } from '../../domain/time';
import { logWarning } from '../../log';
import { AuditRecord, StreamRecord, auditRecordOf } from '../dynamodb/audit-stream-record';
import type { BusEvent, EventBus } from './event-bus';

/** Every event's source; its detail type is the entry's action. */
export const AUDIT_EVENT_SOURCE = 'vpn-chatops';

/** PutEvents takes at most 10 entries a call, and at most 256 KB of them (EventBridge quotas). */
const PUT_EVENTS_MAX = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
const ATTEMPTS = 3;

/** An entry's size as EventBridge counts it: source, detail type, detail, and 14 bytes for the time. */
export function eventBytes(event: BusEvent): number {
  return Buffer.byteLength(event.Source) + Buffer.byteLength(event.DetailType) + Buffer.byteLength(event.Detail) + 14;
}

/**
 * The event for one entry: detail is the entry as `vpnctl audit --json` prints it, its `id` the entry's.
 * Details too large for one event (an item may hold 400 KB) are left out and said to be: refused for its
 * size, the event would hold up every entry behind it until the stream dropped them.
 */
export function auditEvent(entry: AuditEntry, busName: string): BusEvent {
  const event = {
    EventBusName: busName,
    Source: AUDIT_EVENT_SOURCE,
    DetailType: entry.action,
    Detail: JSON.stringify(entry),
    Time: entry.at,
  };
  if (eventBytes(event) <= PUT_EVENTS_MAX_BYTES) return event;
  return {
    ...event,
    // JSON.stringify leaves out a key whose value is undefined.
    Detail: JSON.stringify({
      ...entry,
      details: undefined,
      detailsOmitted: 'over 256 KB: vpnctl audit --json shows them',
    }),
  };
}

export interface ForwardDeps {
  bus: EventBus;
  busName: string;
  retryDelayMs?: number;
}

interface Outgoing {
  event: BusEvent;
  id: string;
  sequence: string;
}

/** Consecutive runs of at most 10 events and 256 KB. */
function chunks(outgoing: Outgoing[]): Outgoing[][] {
  const all: Outgoing[][] = [];
  let current: Outgoing[] = [];
  let bytes = 0;
  for (const item of outgoing) {
    const size = eventBytes(item.event);
    if (current.length === PUT_EVENTS_MAX || (current.length && bytes + size > PUT_EVENTS_MAX_BYTES)) {
      all.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) all.push(current);
  return all;
}

/**
 * Sends the audit entries among `records` to the bus, in order, in calls PutEvents accepts, sending again
 * those it reports failed. Returns the sequence numbers of the records it could not send: Lambda retries
 * the batch from the first of them (ReportBatchItemFailures), so delivery is at least once and a consumer
 * dedupes on `detail.id`. A junk audit record is logged and passed over: no retry reads it better, and the
 * shard behind it would wait for nothing.
 */
export async function forwardAuditRecords(
  records: StreamRecord[],
  deps: ForwardDeps,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const outgoing: Outgoing[] = [];
  for (const record of records) {
    const read: AuditRecord = auditRecordOf(record);
    const sequence = record.dynamodb?.SequenceNumber ?? '';
    if (read.kind === 'junk') logWarning(`audit stream: record ${sequence} skipped: ${read.why}`);
    if (read.kind === 'audit')
      outgoing.push({ event: auditEvent(read.entry, deps.busName), id: read.entry.id, sequence });
  }
  let sent = 0;
  for (const chunk of chunks(outgoing)) {
    const unsent = await sendChunk(chunk, deps);
    if (unsent.length) {
      // The stream retries from the first failure on: report it and everything after it.
      const first = sent + chunk.indexOf(unsent[0]);
      return { batchItemFailures: outgoing.slice(first).map(({ sequence }) => ({ itemIdentifier: sequence })) };
    }
    sent += chunk.length;
  }
  return { batchItemFailures: [] };
}

async function sendChunk(chunk: Outgoing[], deps: ForwardDeps): Promise<Outgoing[]> {
  let pending = chunk;
  for (let attempt = 1; attempt <= ATTEMPTS && pending.length; attempt++) {
    if (attempt > 1) await sleep((deps.retryDelayMs ?? 200) * 2 ** (attempt - 2));
    try {
      const results = await deps.bus.putEvents(pending.map(({ event }) => event));
      pending = pending.filter(({ id }, i) => {
        if (results[i]?.EventId) return false;
        logWarning(`audit stream: ${id} not accepted: ${results[i]?.ErrorCode ?? 'no result'}`);
        return true;
      });
    } catch (error) {
      logWarning(`audit stream: PutEvents failed: ${messageOf(error)}`);
    }
  }
  return pending;
}
