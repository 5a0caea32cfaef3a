import { CertificateRecord, CertificateStatus, effectiveStatus } from '../../domain/certificate';
import { MESSAGE_LIST_BLOCKS, message, packedSections, section } from './blocks';
import { STATUS_ORDER, byCn, byRelevance, certificateText, expiryPhrase, isRevocable } from './certificate';
import { plural } from './format';
import { mention } from './markup';
import type { MessageView } from './types';

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
