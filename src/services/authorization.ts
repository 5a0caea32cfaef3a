import { VpnChatopsError } from '../domain/errors';
import type { AdminDirectory, AuditLog } from '../ports';

export interface Refusal {
  actor: string;
  /** What they tried, in words that finish "Only VPN admins can …". */
  what: string;
  /** Whom or what it was aimed at; the actor themselves when unset. */
  target?: string;
  details?: Record<string, unknown>;
  at?: Date;
}

/** Every refusal leaves the same audit entry, wherever it happens, so "who tried what" is one query. */
export async function auditRefusal(audit: AuditLog, refusal: Refusal): Promise<void> {
  const { actor, what, target, details, at } = refusal;
  await audit.append({
    actor,
    action: 'access.refused',
    target: (target ?? actor).slice(0, 40),
    outcome: 'refused',
    at,
    details: { what, ...details },
  });
}

/** Audits the refusal, then fails with `message` for the person. */
export async function refuse(audit: AuditLog, refusal: Refusal, message: string): Promise<never> {
  await auditRefusal(audit, refusal);
  throw new VpnChatopsError('FORBIDDEN', message);
}

/** Whether `actor` is an admin at this moment; a refusal is audited, and the caller answers it in its own words. */
export async function checkAdmin(
  deps: { admins: AdminDirectory; audit: AuditLog },
  actor: string,
  what: string,
): Promise<boolean> {
  if (await deps.admins.isAdmin(actor)) return true;
  await auditRefusal(deps.audit, { actor, what });
  return false;
}

/** The server-side check behind every admin action, at the moment it runs; refusals are audited. */
export async function requireAdmin(
  deps: { admins: AdminDirectory; audit: AuditLog },
  actor: string,
  what: string,
): Promise<void> {
  if (!(await checkAdmin(deps, actor, what))) throw new VpnChatopsError('FORBIDDEN', `Only VPN admins can ${what}.`);
}
