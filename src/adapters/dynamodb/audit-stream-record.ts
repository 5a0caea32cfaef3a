import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AuditEntry } from '../../domain/audit';
import { messageOf } from '../../domain/errors';
import { toEntry } from './audit-item';

/** The parts of a DynamoDB Streams record (as Lambda delivers it) the audit stream reads. */
export interface StreamRecord {
  eventName?: string;
  dynamodb?: { NewImage?: Record<string, AttributeValue>; SequenceNumber?: string };
}

export type AuditRecord = { kind: 'audit'; entry: AuditEntry } | { kind: 'other' } | { kind: 'junk'; why: string };

const TEXT_FIELDS = ['id', 'actor', 'action', 'target', 'outcome'] as const;

/**
 * An audit entry written to the table, or not one: entries are only ever inserted (the log is
 * append-only), so a MODIFY or REMOVE is some other item's change, or a TTL, never a new entry.
 * An audit item that cannot be read back as an entry is `junk`.
 */
export function auditRecordOf(record: StreamRecord): AuditRecord {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image?.type?.S !== 'audit') return { kind: 'other' };
  let item: Record<string, unknown>;
  try {
    item = unmarshall(image);
  } catch (error) {
    return { kind: 'junk', why: `unreadable image: ${messageOf(error)}` };
  }
  const missing = TEXT_FIELDS.filter((field) => typeof item[field] !== 'string' || item[field] === '');
  if (missing.length) return { kind: 'junk', why: `no ${missing.join(', ')}` };
  const entry = toEntry(item);
  if (Number.isNaN(entry.at.getTime())) return { kind: 'junk', why: `"at" is not a time` };
  if (entry.details !== undefined && (typeof entry.details !== 'object' || entry.details === null))
    return { kind: 'junk', why: '"details" is not a map' };
  return { kind: 'audit', entry };
}
