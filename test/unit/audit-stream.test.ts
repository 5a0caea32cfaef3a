import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { StreamRecord } from '../../src/adapters/dynamodb/audit-stream-record';
import {
  AUDIT_EVENT_SOURCE,
  PUT_EVENTS_MAX_BYTES,
  eventBytes,
  forwardAuditRecords,
} from '../../src/adapters/eventbridge/audit-events';
import type { BusEvent, BusEventResult, EventBus } from '../../src/adapters/eventbridge/event-bus';

const BUS = 'vpn-chatops';

/** An audit item as DynamoDbAuditLog writes it, keys and index attributes included. */
function auditImage(n: number, extra: Record<string, unknown> = {}): Record<string, AttributeValue> {
  const at = `2026-03-01T11:30:${String(n % 60).padStart(2, '0')}.000Z`;
  const id = `entry-${n}`;
  return marshall(
    {
      pk: 'AUDIT#2026-03-01',
      sk: `${at}#${id}`,
      type: 'audit',
      id,
      at,
      actor: 'U0ADMIN',
      action: n % 2 ? 'certificate.revoke' : 'access.offboard',
      target: 'U0ALICE',
      outcome: 'success',
      details: { serial: '0A', reason: 'keyCompromise', nested: { n } },
      gsi1pk: 'ACTOR#U0ADMIN',
      ...extra,
    },
    { removeUndefinedValues: true },
  );
}

let sequence = 100;
const record = (eventName: string, image?: Record<string, AttributeValue>): StreamRecord => ({
  eventName,
  dynamodb: { SequenceNumber: String(sequence++), ...(image && { NewImage: image }) },
});

/** A bus that answers as scripted: `answer(call, events)` gives each event's result, or throws. */
function scriptedBus(answer: (call: number, events: BusEvent[]) => BusEventResult[]) {
  const calls: BusEvent[][] = [];
  const bus: EventBus = {
    putEvents: (events) => {
      calls.push(events);
      return Promise.resolve().then(() => answer(calls.length, events));
    },
  };
  return { bus, calls };
}
const accepted = (events: BusEvent[]) => events.map((_, i) => ({ EventId: `ev-${i}` }));

describe('the audit stream forwarder', () => {
  let warnings: string[];
  beforeEach(() => {
    warnings = [];
    jest.spyOn(console, 'warn').mockImplementation((line: string) => void warnings.push(line));
  });
  afterEach(() => jest.restoreAllMocks());

  it('sends inserted audit items only, as vpn-chatops events whose detail type is the action and detail the entry with its id', async () => {
    const { bus, calls } = scriptedBus((_, events) => accepted(events));
    const records = [
      record('INSERT', auditImage(1)),
      record('MODIFY', auditImage(2)),
      record('REMOVE'),
      record('INSERT', marshall({ pk: 'CERT#0A', sk: 'CERT', type: 'certificate', id: 'x', action: 'nope' })),
      record('INSERT', auditImage(3, { details: undefined })),
    ];
    expect(await forwardAuditRecords(records, { bus, busName: BUS })).toEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(1);
    const [first, second] = calls[0];
    expect(first).toMatchObject({ EventBusName: BUS, Source: AUDIT_EVENT_SOURCE, DetailType: 'certificate.revoke' });
    expect(first.Time).toEqual(new Date('2026-03-01T11:30:01.000Z'));
    expect(JSON.parse(first.Detail)).toEqual({
      id: 'entry-1',
      at: '2026-03-01T11:30:01.000Z',
      actor: 'U0ADMIN',
      action: 'certificate.revoke',
      target: 'U0ALICE',
      outcome: 'success',
      details: { serial: '0A', reason: 'keyCompromise', nested: { n: 1 } },
    });
    expect(JSON.parse(second.Detail)).toMatchObject({ id: 'entry-3' });
    expect(JSON.parse(second.Detail)).not.toHaveProperty('details');
  });

  it('sends at most 10 a call, in order', async () => {
    const { bus, calls } = scriptedBus((_, events) => accepted(events));
    const records = Array.from({ length: 23 }, (_, n) => record('INSERT', auditImage(n)));
    expect(await forwardAuditRecords(records, { bus, busName: BUS })).toEqual({ batchItemFailures: [] });
    expect(calls.map((events) => events.length)).toEqual([10, 10, 3]);
    expect(calls.flat().map((event) => JSON.parse(event.Detail).id)).toEqual(records.map((_, n) => `entry-${n}`));
  });

  it("keeps each call within PutEvents' 256 KB, and leaves out details too large for any event, saying so", async () => {
    const { bus, calls } = scriptedBus((_, events) => accepted(events));
    const big = (n: number, kb: number) =>
      record('INSERT', auditImage(n, { details: { warnings: 'w'.repeat(kb * 1024) } }));
    const records = [big(1, 100), big(2, 100), big(3, 100), big(4, 300), big(5, 1)];
    expect(await forwardAuditRecords(records, { bus, busName: BUS })).toEqual({ batchItemFailures: [] });
    for (const events of calls)
      expect(events.reduce((sum, event) => sum + eventBytes(event), 0)).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
    expect(calls.map((events) => events.map((event) => JSON.parse(event.Detail).id))).toEqual([
      ['entry-1', 'entry-2'],
      ['entry-3', 'entry-4', 'entry-5'],
    ]);
    const huge = JSON.parse(calls[1][1].Detail);
    expect(huge).toMatchObject({
      id: 'entry-4',
      action: 'access.offboard',
      detailsOmitted: expect.stringContaining('vpnctl audit --json'),
    });
    expect(huge).not.toHaveProperty('details');
  });

  it('sends again only what PutEvents did not accept', async () => {
    const { bus, calls } = scriptedBus((call, events) =>
      call === 1
        ? events.map((_, i) =>
            i === 1 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' } : { EventId: `e${i}` },
          )
        : accepted(events),
    );
    const records = [1, 2, 3].map((n) => record('INSERT', auditImage(n)));
    expect(await forwardAuditRecords(records, { bus, busName: BUS, retryDelayMs: 1 })).toEqual({
      batchItemFailures: [],
    });
    expect(calls.map((events) => events.map((event) => JSON.parse(event.Detail).id))).toEqual([
      ['entry-1', 'entry-2', 'entry-3'],
      ['entry-2'],
    ]);
  });

  it('reports the first record it could not send and every one after it, so the stream retries from there', async () => {
    const { bus, calls } = scriptedBus((_, events) =>
      events.map((event) =>
        JSON.parse(event.Detail).id === 'entry-12' ? { ErrorCode: 'InternalFailure' } : { EventId: 'e' },
      ),
    );
    const records = Array.from({ length: 25 }, (_, n) => record('INSERT', auditImage(n)));
    const { batchItemFailures } = await forwardAuditRecords(records, { bus, busName: BUS, retryDelayMs: 1 });
    // The second chunk's third entry never goes through: it and the 12 records after it are reported, the third chunk is not sent.
    expect(batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      records.slice(12).map((r) => r.dynamodb!.SequenceNumber),
    );
    expect(calls.map((events) => events.length)).toEqual([10, 10, 1, 1]);
  });

  it('reports the whole batch when PutEvents itself keeps failing', async () => {
    const { bus, calls } = scriptedBus(() => {
      throw new Error('connect ECONNREFUSED');
    });
    const records = [1, 2].map((n) => record('INSERT', auditImage(n)));
    const { batchItemFailures } = await forwardAuditRecords(records, { bus, busName: BUS, retryDelayMs: 1 });
    expect(batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      records.map((r) => r.dynamodb!.SequenceNumber),
    );
    expect(calls).toHaveLength(3);
  });

  it('passes over a junk audit record instead of stalling the shard on it, and sends the rest', async () => {
    const { bus, calls } = scriptedBus((_, events) => accepted(events));
    const junk = [
      record('INSERT', auditImage(1, { id: undefined })),
      record('INSERT', auditImage(2, { at: 'yesterday' })),
      record('INSERT', auditImage(3, { details: 'not a map' })),
      record('INSERT', { type: { S: 'audit' }, id: { N: 'NaN' } }),
      record('INSERT', { type: { S: 'audit' }, weird: { Z: 'x' } as unknown as AttributeValue }),
      {} as StreamRecord,
    ];
    const records = [...junk, record('INSERT', auditImage(7))];
    expect(await forwardAuditRecords(records, { bus, busName: BUS })).toEqual({ batchItemFailures: [] });
    expect(calls.flat().map((event) => JSON.parse(event.Detail).id)).toEqual(['entry-7']);
    // Each junk audit record leaves a line saying which and why; the record with no image is no audit entry at all.
    expect(warnings.map((line) => JSON.parse(line).message)).toEqual(
      junk.slice(0, 5).map((r) => expect.stringContaining(`record ${r.dynamodb!.SequenceNumber} skipped: `)),
    );
  });
});
