import { CertificateRecord, CertificateStatus, effectiveStatus } from '../../domain/certificate';
import { MESSAGE_LIST_BLOCKS, context, message, packedSections, section } from './blocks';
import { countsText, pageText, pagerBlocks, totalOf } from './certificate-pager';
import { STATUS_ORDER, byCn, byRelevance, certificateText, expiryPhrase, isRevocable } from './certificate';
import { plural } from './format';
import { mention } from './markup';
import type { CertificatePageRows, MessageView } from './types';

/** `/vpn list` pages: one section per certificate, so a page never hides a row its Next button would skip. */
export const LIST_PAGE_SIZE = MESSAGE_LIST_BLOCKS;

export function statusMessage(certificates: CertificateRecord[], now: Date): MessageView {
  if (certificates.length === 0) {
    return message('You have no VPN certificates yet.', [
      section('You have no VPN certificates yet. Run `/vpn issue [device]` to get a profile.'),
    ]);
  }
  const active = certificates
    .filter((record) => isRevocable(record, now))
    .sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
  const summary = active.length
    ? `You have ${plural(active.length, 'active VPN certificate')}; the first ${expiryPhrase(active[0].notAfter, now)}.`
    : 'None of your VPN certificates is active. Run `/vpn issue [device]` to get a new profile.';
  return message(summary, [
    section(`*Your VPN certificates*\n${summary}`),
    ...packedSections(
      [...certificates].sort(byRelevance(now)).map((record) => certificateText(record, now)),
      {
        maxBlocks: MESSAGE_LIST_BLOCKS,
        separator: '\n\n',
        more: (hidden) => `…and ${plural(hidden, 'more certificate')}: the Home tab lists them all.`,
      },
    ),
  ]);
}

/** `who`: a Slack member ID (shown as a mention) or a label; absent for every certificate. */
export function certificateListMessage(certificates: CertificateRecord[], now: Date, who?: string): MessageView {
  const whose = who ? ` of ${mention(who)}` : '';
  if (certificates.length === 0) {
    const text = who ? `${mention(who)} has no VPN certificates.` : 'No VPN certificates have been issued yet.';
    return message(text, [section(text)]);
  }
  const counts = new Map<CertificateStatus, number>();
  for (const record of certificates)
    counts.set(effectiveStatus(record, now), (counts.get(effectiveStatus(record, now)) ?? 0) + 1);
  const breakdown = (Object.keys(STATUS_ORDER) as CertificateStatus[])
    .filter((status) => counts.has(status))
    .map((status) => `${(counts.get(status) ?? 0).toLocaleString('en-US')} ${status}`)
    .join(', ');
  const summary = `${plural(certificates.length, 'VPN certificate')}${whose}: ${breakdown}.`;
  return message(summary, [
    section(`*VPN certificates${whose}*\n${summary}`),
    ...packedSections(
      [...certificates].sort(byCn).map((record) => certificateText(record, now, { owner: true })),
      {
        maxBlocks: MESSAGE_LIST_BLOCKS,
        separator: '\n\n',
        more: (hidden) =>
          `…and ${plural(hidden, 'more certificate')}: the Home tab pages through them all, and \`vpnctl list\` prints them.`,
      },
    ),
  ]);
}

/** `/vpn list` for an admin: one page of every certificate, the total by status, and a Next button. */
export function certificatePageMessage(rows: CertificatePageRows, now: Date, actionId: string): MessageView {
  if (rows.page === 0 && rows.records.length === 0 && totalOf(rows.counts) === 0) {
    const text = 'No VPN certificates have been issued yet.';
    return message(text, [section(text)]);
  }
  const summary = `VPN certificates (${countsText(rows.counts)})`;
  return message(summary, [
    section(`*${summary}*`),
    ...rows.records.slice(0, LIST_PAGE_SIZE).map((record) => section(certificateText(record, now, { owner: true }))),
    context(
      rows.records.length
        ? `${pageText(rows, LIST_PAGE_SIZE)}: active, then suspended, soonest expiry first, then revoked, then expired · \`vpnctl list\` prints them all`
        : 'No certificates on this page any more: they changed since the last one.',
    ),
    ...pagerBlocks(rows, actionId),
  ]);
}
