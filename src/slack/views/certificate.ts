import { CertificateRecord, CertificateStatus, effectiveStatus } from '../../domain/certificate';
import { DAY_MS } from '../../domain/time';
import { ENTRY_MAX } from './blocks';
import { formatTime, plural } from './format';
import { clipMrkdwn, code, mention, userText } from './markup';

/** An active certificate this close to expiry is flagged, so its owner issues a new one in time. */
const EXPIRES_SOON_DAYS = 14;
/** A revocation reason is a word or a sentence; what is shown to the admin is exactly what gets recorded. */
export const REASON_MAX = 500;

export function expiryPhrase(notAfter: Date, now: Date): string {
  const ms = notAfter.getTime() - now.getTime();
  if (ms <= 0) {
    const ago = Math.floor(-ms / DAY_MS);
    return `expired ${formatTime(notAfter)} (${ago === 0 ? 'today' : `${plural(ago, 'day')} ago`})`;
  }
  const days = Math.floor(ms / DAY_MS);
  return `expires ${formatTime(notAfter)} (${days === 0 ? 'less than a day left' : `${plural(days, 'day')} left`})`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const STATUS_BADGE: Record<CertificateStatus, string> = {
  active: '✅ Active',
  suspended: '⏸️ Suspended',
  revoked: '⛔ Revoked',
  expired: '⌛ Expired',
};

function statusBadge(record: CertificateRecord, now: Date): string {
  const status = effectiveStatus(record, now);
  if (status === 'active' && record.notAfter.getTime() - now.getTime() < EXPIRES_SOON_DAYS * DAY_MS)
    return '⚠️ Expires soon';
  return STATUS_BADGE[status];
}

/** Whether revoking still changes anything: revoked and expired certificates open nothing. */
export function isRevocable(record: CertificateRecord, now: Date): boolean {
  const status = effectiveStatus(record, now);
  return status === 'active' || status === 'suspended';
}

export const deviceName = (record: CertificateRecord) => userText(record.device ?? 'no device label', 60);

/** Every fact about one certificate; `owner` adds whose it is, for admin lists. */
export function certificateText(record: CertificateRecord, now: Date, options: { owner?: boolean } = {}): string {
  const owner = options.owner
    ? ` · ${record.slackId ? mention(record.slackId) : 'no Slack owner'}${record.displayName ? ` (${userText(record.displayName, 80)})` : ''}`
    : '';
  // `source` is read from the table unchecked; one this version does not know shows nothing rather than "undefined".
  const source =
    {
      issued: '',
      csr: ' · own key (CSR)',
      easyrsa: ' · imported from Easy-RSA',
      crl: " · known only from an endpoint's CRL",
    }[record.source] ?? '';
  const lines = [
    `${statusBadge(record, now)} · *${deviceName(record)}*${owner}`,
    `${code(record.cn)} · serial ${code(record.serial, 64)}${source}`,
    record.status === 'revoked'
      ? `Would have expired ${formatTime(record.notAfter)}`
      : capitalize(expiryPhrase(record.notAfter, now)),
  ];
  if (record.status === 'revoked') {
    const facts = [
      record.revokedAt && formatTime(record.revokedAt),
      record.reason && `(${userText(record.reason, REASON_MAX)})`,
      record.revokedBy && `by ${mention(record.revokedBy)}`,
    ].filter(Boolean);
    lines.push(['Revoked', ...facts].join(' '));
  }
  return clipMrkdwn(lines.join('\n'), ENTRY_MAX);
}

/** Usable first: the order of a member's own list and of the status counts in an admin's. */
export const STATUS_ORDER: Record<CertificateStatus, number> = { active: 0, suspended: 1, expired: 2, revoked: 3 };

/** A member's own certificates: usable ones first, newest first within a status. */
export const byRelevance = (now: Date) => (a: CertificateRecord, b: CertificateRecord) =>
  STATUS_ORDER[effectiveStatus(a, now)] - STATUS_ORDER[effectiveStatus(b, now)] ||
  b.issuedAt.getTime() - a.issuedAt.getTime();

/** Admin lists: by CN (so one person's certificates sit together), a stable order for paging. */
export const byCn = (a: CertificateRecord, b: CertificateRecord) =>
  a.cn < b.cn ? -1 : a.cn > b.cn ? 1 : a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0;
