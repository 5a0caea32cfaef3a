import type { CertificateRecord } from '../../domain/certificate';
import type { OffboardingNotice } from '../../ports';
import { listSection, message, section } from './blocks';
import { formatTime, plural } from './format';
import { code, mention } from './markup';
import { revocationReportMessage } from './revocation-report';
import type { MessageView } from './types';
import type { RevocationReport } from '../../domain/revocation-report';

const CERTIFICATES_SHOWN = 20;

function what(notice: OffboardingNotice): string {
  const change =
    notice.cause === 'deactivated'
      ? 'was deactivated in Slack'
      : 'became a guest in Slack, and guests lose VPN access (OFFBOARD_GUESTS)';
  const found =
    notice.source === 'reconcile' ? ' (found by the daily check: its user_change event never reached the bot)' : '';
  return `${mention(notice.member.slackId)} ${change}${found}`;
}

/** OFFBOARDING=auto: the person's access ended by itself; then the same three-way report as `/vpn revoke`. */
export function offboardedMessage(notice: OffboardingNotice & { report: RevocationReport }): MessageView {
  const report = revocationReportMessage(notice.report);
  const lead = `:door: ${what(notice)}: their VPN access was ended automatically (reason \`affiliationChanged\`).`;
  return message(`${lead} ${report.text}`, [section(lead), ...report.blocks]);
}

/** OFFBOARDING=report: the admins decide; the certificates still work until someone revokes them. */
export function offboardingReviewMessage(
  notice: OffboardingNotice & { certificates: CertificateRecord[] },
): MessageView {
  const lead =
    `:warning: ${what(notice)}, and still holds ${plural(notice.certificates.length, 'working VPN certificate')}. ` +
    `OFFBOARDING is \`report\`, so nothing was revoked: \`/vpn revoke\` ${mention(notice.member.slackId)} \`affiliationChanged\` ends their access.`;
  const lines = notice.certificates.map(
    (record) =>
      `• ${code(record.device ?? record.cn, 100)}: serial ${code(record.serial, 64)}, until ${formatTime(record.notAfter)}`,
  );
  return message(lead, [
    section(lead),
    listSection('*Certificates*', lines, {
      maxLines: CERTIFICATES_SHOWN,
      empty: 'None.',
      more: (hidden) => `…and ${plural(hidden, 'more')}; \`/vpn list\` shows them all.`,
    }),
  ]);
}
