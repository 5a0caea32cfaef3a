import type { AuditEntry } from '../domain/audit';
import type { AuditLog, CertificateStore } from '../ports';

export interface AuditExportQuery {
  /** Only what concerns this member; absent for everything. */
  slackId?: string;
  since: Date;
  until: Date;
}

/**
 * The audit trail for an export, oldest first. For one member that is everything they did, and
 * everything done to them: entries name a member as target (issue, revoke), but also their
 * certificates' serials and CNs (a revocation by serial, a login approval), so all of those are read.
 */
export async function auditEntries(deps: { audit: AuditLog; certificates: CertificateStore }, query: AuditExportQuery): Promise<AuditEntry[]> {
  const { since, until, slackId } = query;
  if (slackId === undefined) return deps.audit.query({ since, until });
  const certificates = await deps.certificates.byUser(slackId);
  const targets = [...new Set([slackId, ...certificates.flatMap((record) => [record.serial, record.cn])])];
  const pages = await Promise.all([deps.audit.query({ since, until, actor: slackId }), ...targets.map((target) => deps.audit.query({ since, until, target }))]);
  const byId = new Map(pages.flat().map((entry) => [entry.id, entry]));
  return [...byId.values()].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1));
}

/** Cells a spreadsheet would run as a formula (OWASP's list: = + - @, tab, carriage return). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 field: formula starts defused with a leading single quote, then quoted when it holds `"`, `,`, CR or LF. */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** RFC 4180: a header row, CRLF line ends, every field through csvField. */
export function auditCsv(entries: AuditEntry[]): string {
  const rows = [['time', 'actor', 'action', 'target', 'outcome', 'details']];
  for (const e of entries) rows.push([e.at.toISOString(), e.actor, e.action, e.target, e.outcome, e.details ? JSON.stringify(e.details) : '']);
  return `${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}
