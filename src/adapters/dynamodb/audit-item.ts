import type { AuditEntry } from '../../domain/audit';

/** An audit item as the table holds it (a query's item, a stream record's new image) as an entry. */
export function toEntry(item: Record<string, unknown>): AuditEntry {
  return {
    id: item.id as string,
    at: new Date(item.at as string),
    actor: item.actor as string,
    action: item.action as AuditEntry['action'],
    target: item.target as string,
    outcome: item.outcome as AuditEntry['outcome'],
    details: item.details as Record<string, unknown> | undefined,
  };
}
