import { CertificateRecord, effectiveStatus } from '../domain/certificate';
import { MAX_DEVICE_LENGTH } from '../domain/cn';
import { VpnChatopsError } from '../domain/errors';
import { systemClock, type AuditLog, type CertificateStore, type Clock, type ExpiryNotifier } from '../ports';
import { IssueRequest, IssueResult, rollBack } from './issue';
import type { RevokeRequest } from './revoke';
import { DAY_MS, HOUR_MS } from '../domain/time';
import { refuse } from './authorization';
import { isTimeBoxed, lifetimeHours } from './time-boxed';
import type { RevocationReport } from '../domain/revocation-report';

/** Renewal opens with the first expiry reminder. */
export const RENEWAL_OPENS_DAYS = 30;
/** A replaced certificate nobody has connected with the new one of is retired after this long anyway. */
export const REPLACED_GRACE_DAYS = 7;

/**
 * The device label of a renewal: the same device with a renewal count, `laptop` → `laptop-r2` →
 * `laptop-r3` (no label → `r2`). Every certificate has its own CN (see domain/cn.ts); a renewal also
 * needs its own device label, because the old certificate stays live until the new one connects and
 * a device holds one live certificate at a time.
 */
export function renewalDevice(device: string | undefined): string {
  const renewed = /^(?:(.*)-)?r(\d+)$/.exec(device ?? '');
  const base = renewed ? (renewed[1] ?? '') : (device ?? '');
  const suffix = `r${renewed ? Number(renewed[2]) + 1 : 2}`;
  if (base === '') return suffix;
  return `${base.slice(0, MAX_DEVICE_LENGTH - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

export interface RenewalDeps {
  certificates: CertificateStore;
  audit: AuditLog;
  clock: Clock;
  issue(request: IssueRequest): Promise<IssueResult>;
  /**
   * CERT_DAYS and MAX_ACCESS_HOURS: a time-boxed certificate's replacement is time-boxed too, never a CERT_DAYS one.
   */
  access?: { certDays: number; maxHours: number };
}

/** How long a replacement lasts: as long as a time-boxed original (within the cap), or CERT_DAYS (undefined). */
export function replacementHours(old: CertificateRecord, access: RenewalDeps['access']): number | undefined {
  if (!access || !isTimeBoxed(old, access.certDays)) return undefined;
  return Math.min(lifetimeHours(old), access.maxHours);
}

/** Why a certificate cannot be renewed now, or undefined when it can. */
export async function renewalRefusal(
  deps: Pick<RenewalDeps, 'certificates' | 'clock'>,
  record: CertificateRecord | undefined,
  userId: string,
): Promise<string | undefined> {
  const now = deps.clock.now();
  if (!record || record.slackId !== userId) return 'You can only renew your own certificates.';
  const status = effectiveStatus(record, now);
  if (status === 'revoked' || status === 'expired')
    return `This certificate is ${status}; get a new one with \`${record.device ? `/vpn issue ${record.device}` : '/vpn issue'}\`.`;
  if (status === 'suspended')
    return 'This certificate is paused after a "Not me" answer: re-enable it on the Home tab first, or ask a VPN admin.';
  if (record.source === 'csr')
    return 'This certificate uses your own key: create a new CSR and paste it under *Use my own key (CSR)* on the Home tab.';
  const daysLeft = (record.notAfter.getTime() - now.getTime()) / DAY_MS;
  if (daysLeft > RENEWAL_OPENS_DAYS)
    return `Renewal opens ${RENEWAL_OPENS_DAYS} days before expiry; this certificate is good until ${record.notAfter.toISOString().slice(0, 10)}.`;
  if (record.replacedBy) {
    const replacement = await deps.certificates.get(record.replacedBy);
    if (replacement && replacement.status !== 'revoked')
      return `Already renewed: the new profile (${replacement.cn}) is in your DM from me.`;
  }
  return undefined;
}

/**
 * A new certificate for the same device (its own label, see renewalDevice) that remembers what it
 * replaces; the old one stays valid until the new one connects, or REPLACED_GRACE_DAYS pass. If the
 * old one cannot be marked as replaced, the new one is revoked again: no unlinked pair is left.
 */
export async function renewCertificate(
  deps: RenewalDeps,
  request: {
    serial: string;
    userId: string;
    displayName: string;
    action?: 'certificate.renew' | 'certificate.extend';
    /** A grant's end: the replacement lasts no longer (services/issue.ts). */
    endsBy?: Date;
  },
): Promise<{ old: CertificateRecord; issued: IssueResult }> {
  const old = await deps.certificates.get(request.serial);
  if (!old || old.slackId !== request.userId) {
    return refuse(
      deps.audit,
      { actor: request.userId, what: 'renew', details: { serial: request.serial.slice(0, 40) }, at: deps.clock.now() },
      'You can only renew your own certificates.',
    );
  }
  const refusal = await renewalRefusal(deps, old, request.userId);
  if (refusal) throw new VpnChatopsError('CONFLICT', refusal);
  const issued = await deps.issue({
    slackId: request.userId,
    displayName: request.displayName,
    device: renewalDevice(old.device),
    actor: request.userId,
    replaces: old.serial,
    validHours: replacementHours(old, deps.access),
    ...(request.endsBy && { endsBy: request.endsBy }),
  });
  const now = deps.clock.now();
  try {
    if (!(await deps.certificates.markReplaced(old.serial, issued.record.serial, now, old.replacedBy))) {
      throw new VpnChatopsError(
        'CONFLICT',
        `Certificate ${old.serial} changed while it was being renewed (renewed elsewhere, paused or revoked); nothing was renewed.`,
      );
    }
    await deps.audit.append({
      actor: request.userId,
      action: request.action ?? 'certificate.renew',
      target: request.userId,
      outcome: 'success',
      at: now,
      details: {
        old: old.serial,
        new: issued.record.serial,
        cn: issued.record.cn,
        oldNotAfter: old.notAfter.toISOString(),
      },
    });
  } catch (error) {
    return rollBack(deps.certificates, issued.record, deps.clock, error);
  }
  return { old, issued };
}

export type RetireReason = 'used' | 'grace-period';

export interface RetireDeps {
  certificates: CertificateStore;
  revoke(request: RevokeRequest): Promise<RevocationReport>;
  /** The owner's DM: a courtesy that may fail without undoing the retirement. */
  owners?: Pick<ExpiryNotifier, 'retired'>;
  clock?: Clock;
}

/**
 * An old certificate that runs out within this is left to expire: an Extend's replacement connects minutes before
 * the end, and revoking the old one would only add a CRL entry (and, on AWS, an import that resets every session).
 */
const LEFT_TO_EXPIRE_MS = HOUR_MS;

/**
 * Revoke the certificate `replacement` took over from (reason superseded), if it is still live and
 * still replaced by exactly this one. Its CRL entry waits for the daily job: on AWS an import of its
 * own would reset every session for a routine change. Returns the retired certificate, if any.
 */
export async function retireReplaced(
  deps: RetireDeps,
  replacementSerial: string,
  why: RetireReason,
): Promise<{ old: CertificateRecord; replacement: CertificateRecord } | undefined> {
  const replacement = await deps.certificates.get(replacementSerial);
  if (!replacement?.replaces || replacement.status === 'revoked') return undefined;
  const old = await deps.certificates.get(replacement.replaces);
  if (!old || old.status === 'revoked' || old.replacedBy !== replacement.serial) return undefined;
  if (old.notAfter.getTime() - (deps.clock ?? systemClock).now().getTime() <= LEFT_TO_EXPIRE_MS) return undefined;
  const report = await deps.revoke({
    target: { serial: old.serial },
    reason: 'superseded',
    actor: `system:renewal-${why}`,
    crl: 'queued',
  });
  // The old certificate is still active: say so, as the daily job's note and the retirement job's log need it.
  const left = report.failed.find((failure) => failure.step === 'revoke');
  if (left) throw new VpnChatopsError('STORE_UNAVAILABLE', `Could not retire certificate ${old.serial}: ${left.error}`);
  if (!report.revoked.length) return undefined;
  await deps.owners?.retired(old, replacement, why).catch(() => undefined);
  return { old, replacement };
}

/** Replaced certificates whose grace period is over: the daily job retires them. */
export function overdueReplacements(expiring: CertificateRecord[], now: Date): CertificateRecord[] {
  return expiring.filter(
    (record) =>
      record.replacedBy &&
      record.replacedAt &&
      now.getTime() - record.replacedAt.getTime() >= REPLACED_GRACE_DAYS * DAY_MS,
  );
}
