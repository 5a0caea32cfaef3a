import { CertificateRecord, effectiveStatus } from '../domain/certificate';
import { formatDuration } from '../domain/duration';
import { VpnChatopsError } from '../domain/errors';
import type { CertificateStore } from '../ports';
import { refuse } from './authorization';
import { RenewalDeps, renewCertificate, replacementHours } from './certificate-renewal';
import type { IssueResult } from './issue';
import { lifetimeHours } from './time-boxed';

const issueAgain = (record: CertificateRecord) =>
  `\`/vpn issue${record.device ? ` ${record.device.replace(/-r\d+$/, '')}` : ''} for ${formatDuration({ hours: lifetimeHours(record) })}\``;

/**
 * Why the Extend button of `record` does nothing for `userId` now, or undefined when it may. The listener asks
 * first, for an answer at once; the use case asks again when the work runs, since a button is the client's to send.
 */
export async function extendRefusal(
  certificates: Pick<CertificateStore, 'get'>,
  record: CertificateRecord | undefined,
  userId: string,
  now: Date,
  /** CERT_DAYS, to tell time-boxed certificates apart; the listener, which has no settings, leaves that to the worker. */
  certDays?: number,
): Promise<string | undefined> {
  if (!record || record.slackId !== userId) return 'You can only extend your own VPN access.';
  const status = effectiveStatus(record, now);
  if (status === 'revoked')
    return `This certificate was revoked, so it cannot be extended. Ask again with ${issueAgain(record)} if you still need access.`;
  if (status === 'expired')
    return `This access already ended, so there is nothing to extend. Ask again with ${issueAgain(record)}.`;
  if (status === 'suspended')
    return 'This certificate is paused after a "Not me" answer: re-enable it on the Home tab first, or ask a VPN admin.';
  if (certDays !== undefined && replacementHours(record, { certDays, maxHours: Number.MAX_SAFE_INTEGER }) === undefined)
    return 'This certificate is not time-boxed: it is renewed from its expiry reminder, not extended.';
  if (record.source === 'csr')
    return 'This certificate uses your own key: create a new CSR and paste it under *Use my own key (CSR)* on the Home tab.';
  if (record.replacedBy) {
    const replacement = await certificates.get(record.replacedBy);
    if (replacement && replacement.status !== 'revoked')
      return `Already extended: the new profile (${replacement.cn}) is in your DM from me.`;
  }
  return undefined;
}

export interface ExtendDeps extends RenewalDeps {
  access: { certDays: number; maxHours: number };
}

/**
 * Extend time-boxed access by as long again (within MAX_ACCESS_HOURS). A certificate's notAfter cannot
 * change, so this is a renewal: a replacement for the same device, delivered like any profile, that retires
 * the old one when it connects (the old one runs out minutes later anyway). Audited as certificate.extend.
 */
export async function extendAccess(
  deps: ExtendDeps,
  request: { serial: string; userId: string; displayName: string },
): Promise<{ old: CertificateRecord; issued: IssueResult; hours: number }> {
  const now = deps.clock.now();
  const old = await deps.certificates.get(request.serial);
  if (!old || old.slackId !== request.userId)
    return refuse(
      deps.audit,
      { actor: request.userId, what: 'extend', details: { serial: request.serial.slice(0, 40) }, at: now },
      'You can only extend your own VPN access.',
    );
  const refusal = await extendRefusal(deps.certificates, old, request.userId, now, deps.access.certDays);
  if (refusal) throw new VpnChatopsError('CONFLICT', refusal);
  const { issued } = await renewCertificate(deps, { ...request, action: 'certificate.extend' });
  return { old, issued, hours: replacementHours(old, deps.access)! };
}
