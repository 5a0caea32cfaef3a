import type { AdminDirectory, AuditLog, CertificateStore } from '../ports';
import { auditRefusal } from './authorization';

export interface SuspensionDeps {
  certificates: Pick<CertificateStore, 'get' | 'setSuspended'>;
  admins: AdminDirectory;
  audit: AuditLog;
}

export type Reenabled = 'reenabled' | 'unchanged' | 'refused';

/**
 * Lifts a "Not me" pause, for the certificate's owner or an admin only; anyone else is refused and
 * audited. One conditional write: a certificate that is not paused (any more) is left as it is.
 */
export async function reenableCertificate(
  deps: SuspensionDeps,
  request: { serial: string; actor: string },
): Promise<Reenabled> {
  const { serial, actor } = request;
  const record = await deps.certificates.get(serial);
  const allowed = record !== undefined && (record.slackId === actor || (await deps.admins.isAdmin(actor)));
  if (!allowed) {
    await auditRefusal(deps.audit, { actor, what: 're-enable', target: serial });
    return 'refused';
  }
  if (!(await deps.certificates.setSuspended(serial, false))) return 'unchanged';
  await deps.audit.append({
    actor,
    action: 'certificate.reenable',
    target: record.slackId ?? serial,
    outcome: 'success',
    details: { serial },
  });
  return 'reenabled';
}
