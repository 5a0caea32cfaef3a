import { AccessRequest, requestStateAt } from '../../domain/access';
import { formatDuration } from '../../domain/duration';
import { ACTION } from '../ids';
import { actions, button, context, header, section } from './blocks';
import { count, formatTime } from './format';
import { mention, userText } from './markup';
import type { Block, HomeAccess } from './types';

/** Within the Home's 100 blocks: two blocks a request, so at most 2 + 2 × 5 + 1 here, and 3 for the member's part. */
const PENDING_SHOWN = 5;

function ownRequestText(request: AccessRequest, now: Date): string {
  const what = `${request.device ? `*${userText(request.device, 64)}*, ` : ''}${formatDuration({ hours: request.hours })}`;
  switch (requestStateAt(request, now)) {
    case 'pending':
      return `📨 Your VPN access request (${what}) waits for the admins until ${formatTime(request.expiresAt)}.`;
    case 'approved':
      return `✅ Your VPN access request (${what}) was approved by ${mention(request.decidedBy ?? '')}: the profile is in your DM from me.`;
    case 'denied':
      return `🚫 Your VPN access request (${what}) was denied by ${mention(request.decidedBy ?? '')}.`;
    case 'expired':
      return `⌛ Your VPN access request (${what}) lapsed: nobody decided within 24 hours.`;
  }
}

function pendingRows(pending: AccessRequest[]): Block[] {
  if (pending.length === 0) return [];
  const rows = pending.slice(0, PENDING_SHOWN).flatMap((request) => [
    section(
      `${mention(request.requester)}${request.device ? ` · *${userText(request.device, 64)}*` : ''} · ${formatDuration({ hours: request.hours })} · lapses ${formatTime(request.expiresAt)}\nReason: ${userText(request.reason, 300)}`,
    ),
    actions(
      button('Approve', ACTION.approveRequest, { value: request.id, style: 'primary' }),
      button('Deny', ACTION.denyRequest, {
        value: request.id,
        style: 'danger',
        confirm: { title: 'Deny this request?', text: 'The requester is told.', confirm: 'Deny', deny: 'Back' },
      }),
    ),
  ]);
  const hidden = pending.length - PENDING_SHOWN;
  return [
    header('Access requests'),
    ...rows,
    ...(hidden > 0 ? [context(`…and ${count(hidden)} more in the admin channel.`)] : []),
  ];
}

/**
 * The Home's access part: the member's own request and, where they may, the button to ask; admins' pending requests.
 */
export function accessHomeBlocks(access: HomeAccess | undefined, now: Date): Block[] {
  if (!access) return [];
  const own = access.own;
  const waiting = own !== undefined && requestStateAt(own, now) === 'pending';
  return [
    ...(own ? [section(ownRequestText(own, now))] : []),
    ...(access.mayRequest && !waiting
      ? [actions(button('Request VPN access', ACTION.requestAccess, { style: 'primary' }))]
      : []),
    ...pendingRows(access.pending ?? []),
  ];
}
