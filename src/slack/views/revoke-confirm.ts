import type { CertificateRecord } from '../../domain/certificate';
import { ACTION, RevokeRequestValue } from '../ids';
import { actions, button, message, packedSections, section } from './blocks';
import { REASON_MAX, deviceName } from './certificate';
import { plural } from './format';
import { SLACK_LIMITS } from './limits';
import { clip, code, escapeMrkdwnExceptMentions, userText } from './markup';
import type { MessageView } from './types';

/** The button value carries the whole request; a long reason is shortened so the value stays within 2000 characters. */
function revokeRequestValue(request: RevokeRequestValue): { value: string; reason: string } {
  let reason = request.reason;
  for (;;) {
    const value = JSON.stringify({ ...request, reason });
    if (value.length <= SLACK_LIMITS.buttonValue) return { value, reason };
    if (reason === '')
      throw new Error('A revoke request without a reason is still over the 2000-character button value limit.');
    const max = reason.length - (value.length - SLACK_LIMITS.buttonValue) - 1;
    // clip never returns less than its ellipsis, so a reason that cannot fit at all must go entirely, or this never
    // ends.
    reason = max <= 1 ? '' : clip(reason, max);
  }
}

/**
 * `label` says whose certificates, as a possessive: "your", "<@U123>'s", "Alice's". Member mentions in it
 * stay mentions; everything else is escaped.
 */
export function revokeConfirmMessage(
  target: { slackId?: string; serial?: string; label: string; certificates: CertificateRecord[] },
  reason: string,
): MessageView {
  const { value, reason: shownReason } = revokeRequestValue({
    slackId: target.slackId,
    serial: target.serial,
    reason: clip(reason.trim(), REASON_MAX),
  });
  const label = escapeMrkdwnExceptMentions(clip(target.label.replace(/[\p{Cc}\s]+/gu, ' ').trim(), 120));
  // The fallback text has no code span, so there the serial is outside text like any other.
  const ask = (serial: (raw: string, max: number) => string) =>
    target.serial ? `Revoke ${label} certificate ${serial(target.serial, 64)}?` : `Revoke ${label} VPN certificates?`;
  const question = ask(code);
  const fresh = target.certificates.filter((record) => record.status !== 'revoked');
  const entries = target.certificates.map(
    (record) =>
      `${record.status === 'revoked' ? '• already revoked:' : '• will be revoked:'} *${deviceName(record)}* ${code(record.cn)} · serial ${code(record.serial, 64)}`,
  );
  return message(`${ask(userText)} Confirm or cancel.`, [
    section(
      [
        `⚠️ *${question}*`,
        'This ends access three ways: new logins are refused at once, live sessions end on every endpoint, and a new CRL is published.',
        `Reason: ${userText(shownReason, REASON_MAX) || 'unspecified'}`,
        fresh.length
          ? undefined
          : 'Every certificate here is already revoked; confirming still publishes any CRL update that is outstanding.',
      ]
        .filter((line) => line !== undefined)
        .join('\n'),
    ),
    ...packedSections(entries, { maxBlocks: 10, more: (hidden) => `…and ${plural(hidden, 'more certificate')}.` }),
    actions(button('Revoke', ACTION.revokeConfirm, { value, style: 'danger' }), button('Cancel', ACTION.revokeCancel)),
  ]);
}
