import type { AccessRequest } from '../../domain/access';
import { formatDuration } from '../../domain/duration';
import { ACTION, BLOCK } from '../ids';
import { button, context, message, plain, section } from './blocks';
import { formatTime } from './format';
import { SLACK_LIMITS } from './limits';
import { mention, userText } from './markup';
import type { MessageView } from './types';

/** The durations an admin may pick from, besides the one asked for; each within MAX_ACCESS_HOURS. */
const CHOICES = [8, 24, 72, 168, 336, 720];

const facts = (request: AccessRequest) =>
  `${mention(request.requester)} asks for VPN access${request.device ? ` on *${userText(request.device, 64)}*` : ''} for *${formatDuration({ hours: request.hours })}*.\nReason: ${userText(request.reason, 500)}`;

function option(hours: number) {
  const text = formatDuration({ hours });
  return { text: plain(text, SLACK_LIMITS.buttonText), value: String(hours) };
}

/** In the admin channel while the request waits: Approve (for the duration picked) and Deny. */
export function accessRequestAdminMessage(request: AccessRequest, maxHours: number): MessageView {
  const hours = [...new Set([request.hours, ...CHOICES])].filter((h) => h <= maxHours).sort((a, b) => a - b);
  const text = `🔑 Access request from ${mention(request.requester)}`;
  return message(text, [
    section(facts(request)),
    context(`Lapses ${formatTime(request.expiresAt)} unless an admin decides. Nobody approves their own request.`),
    {
      type: 'actions',
      block_id: BLOCK.requestHours,
      elements: [
        {
          type: 'static_select',
          action_id: ACTION.requestHours,
          placeholder: plain('Duration', SLACK_LIMITS.placeholder),
          initial_option: option(request.hours),
          options: hours.map(option),
        },
        button('Approve', ACTION.approveRequest, { value: request.id, style: 'primary' }),
        button('Deny', ACTION.denyRequest, {
          value: request.id,
          style: 'danger',
          confirm: { title: 'Deny this request?', text: 'The requester is told.', confirm: 'Deny', deny: 'Back' },
        }),
      ],
    },
  ]);
}

/** The same message once the request is over: who decided what, and no buttons. */
export function accessRequestSettledMessage(request: AccessRequest, note?: string): MessageView {
  const outcome =
    request.state === 'approved'
      ? `✅ Approved by ${mention(request.decidedBy ?? '')} for ${formatDuration({ hours: request.approvedHours ?? request.hours })}`
      : request.state === 'denied'
        ? `🚫 Denied by ${mention(request.decidedBy ?? '')}`
        : '⌛ Expired: nobody decided within 24 hours';
  const text = `${outcome}: access request from ${mention(request.requester)}`;
  return message(text, [
    section(facts(request)),
    context(`${outcome}${request.decidedAt ? ` at ${formatTime(request.decidedAt)}` : ''}.`),
    ...(note ? [section(`⚠️ ${userText(note, 1000)}`)] : []),
  ]);
}
