import type { CertificateRecord } from '../domain/certificate';
import { formatDuration } from '../domain/duration';
import { VpnChatopsError } from '../domain/errors';
import { HOUR_MS } from '../domain/time';
import type { AuditLog } from '../ports';
import { auditRefusal } from './authorization';

/** Where MAX_ACCESS_HOURS is not set (a test's settings), the configuration's default. */
export const DEFAULT_MAX_ACCESS_HOURS = 720;

/**
 * A time-boxed request within MAX_ACCESS_HOURS, or a refusal that names the cap. Asking for more is refused, not cut:
 * someone who asked for 2w and silently got 3d would find out when the VPN drops. Undefined (no duration asked
 * for) is a regular certificate of CERT_DAYS.
 */
export function checkAccessHours(hours: number | undefined, maxHours: number): number | undefined {
  if (hours === undefined) return undefined;
  if (!Number.isInteger(hours) || hours < 1)
    throw new VpnChatopsError('FORBIDDEN', `${hours} hours is not a duration: use e.g. 8h, 3d or 2w.`);
  if (hours > maxHours)
    throw new VpnChatopsError(
      'FORBIDDEN',
      `You asked for ${formatDuration({ hours })} of access; the most this workspace allows is ${formatDuration({ hours: maxHours })} (MAX_ACCESS_HOURS=${maxHours}). Ask for ${formatDuration({ hours: maxHours })} or less; nothing was issued.`,
    );
  return hours;
}

/** checkAccessHours for a person's own request, with the refusal on the audit trail: asking past the cap is policy. */
export async function allowedAccessHours(
  audit: AuditLog,
  actor: string,
  hours: number | undefined,
  maxHours: number,
): Promise<number | undefined> {
  try {
    return checkAccessHours(hours, maxHours);
  } catch (error) {
    const why = hours !== undefined && hours > maxHours ? 'MAX_ACCESS_HOURS' : 'not a duration';
    await auditRefusal(audit, { actor, what: 'issue', details: { why, hours, maxHours } });
    throw error;
  }
}

/** The notBefore that pki/certificate.ts backdates by 5 minutes (clock skew); a lifetime is measured from the issue. */
const BACKDATE_MS = 5 * 60_000;

/** A certificate's lifetime in whole hours, as it was asked for (notBefore is backdated for clock skew). */
export function lifetimeHours(record: Pick<CertificateRecord, 'notBefore' | 'notAfter'>): number {
  return Math.max(1, Math.round((record.notAfter.getTime() - record.notBefore.getTime() - BACKDATE_MS) / HOUR_MS));
}

/** Issued for a number of hours rather than CERT_DAYS: the certificates the 15-minute warning and Extend are for. */
export const isTimeBoxed = (record: Pick<CertificateRecord, 'notBefore' | 'notAfter'>, certDays: number) =>
  lifetimeHours(record) < certDays * 24;
