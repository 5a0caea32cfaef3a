import { CertificateRecord, effectiveStatus } from '../domain/certificate';
import { formatDuration } from '../domain/duration';
import type { CertificateStore } from '../ports';
import { isTimeBoxed, lifetimeHours } from './time-boxed';

// Its own module, on the domain only: the Slack function's listener asks it, and must not carry the PKI.
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
  /**
   * CERT_DAYS, to tell time-boxed certificates apart; the listener, which has no settings, leaves that to the worker.
   */
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
  if (certDays !== undefined && !isTimeBoxed(record, certDays))
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
