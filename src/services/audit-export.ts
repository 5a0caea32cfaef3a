import type { AuditEntry } from '../domain/audit';
import type { AuditLog, CertificateStore } from '../ports';

export interface AuditExportQuery {
  /** Only what concerns this member; absent for everything. */
  slackId?: string;
  since: Date;
  until: Date;
}

/**
 * One export holds at most this many entries (the newest): a file a spreadsheet opens, and a worker that does not run
 * out of memory.
 */
export const EXPORT_MAX_ENTRIES = 100_000;

/**
 * The audit trail for an export, oldest first. For one member that is everything they did, and
 * everything done to them: entries name a member as target (issue, revoke), but also their
 * certificates' serials and CNs (a revocation by serial, a login approval), so all of those are read.
 * `truncated` when older entries were left out to stay within EXPORT_MAX_ENTRIES.
 */
export async function auditEntries(
  deps: { audit: AuditLog; certificates: CertificateStore },
  query: AuditExportQuery,
  max = EXPORT_MAX_ENTRIES,
): Promise<{ entries: AuditEntry[]; truncated: boolean }> {
  const { since, until, slackId } = query;
  const limit = max + 1;
  let found: AuditEntry[];
  if (slackId === undefined) {
    found = await deps.audit.query({ since, until, limit });
  } else {
    const certificates = await deps.certificates.byUser(slackId);
    const targets = [...new Set([slackId, ...certificates.flatMap((record) => [record.serial, record.cn])])];
    const pages = await Promise.all([
      deps.audit.query({ since, until, actor: slackId, limit }),
      ...targets.map((target) => deps.audit.query({ since, until, target, limit })),
    ]);
    const byId = new Map(pages.flat().map((entry) => [entry.id, entry]));
    found = [...byId.values()].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1));
  }
  return { entries: found.slice(-max), truncated: found.length > max };
}

/** An export handed to the admin is itself on the trail: who took what, and how much of it. */
export async function recordAuditExport(
  audit: AuditLog,
  exported: AuditExportQuery & { actor: string; entries: number; truncated: boolean },
): Promise<void> {
  const { actor, slackId, since, until, entries, truncated } = exported;
  await audit.append({
    actor,
    action: 'audit.export',
    target: slackId ?? 'all',
    outcome: 'success',
    details: { since: since.toISOString(), until: until.toISOString(), entries, truncated },
  });
}

/** Cells a spreadsheet would run as a formula (OWASP's list: = + - @, tab, carriage return). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field: formula starts defused with a leading single quote, then quoted when it holds `"`, `,`, CR or LF.
 */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** RFC 4180: a header row, CRLF line ends, every field through csvField. */
export function auditCsv(entries: AuditEntry[]): string {
  const rows = [['time', 'actor', 'action', 'target', 'outcome', 'details']];
  for (const e of entries)
    rows.push([e.at.toISOString(), e.actor, e.action, e.target, e.outcome, e.details ? JSON.stringify(e.details) : '']);
  return `${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}
