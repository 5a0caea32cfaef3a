import type { AccessRequest } from '../../domain/access';
import { formatDuration } from '../../domain/duration';
import { message, section } from './blocks';
import { formatTime } from './format';
import { mention } from './markup';
import type { MessageView } from './types';

/** To the requester, in their DM: sent, approved or denied. */
export function accessRequestOutcomeMessage(request: AccessRequest): MessageView {
  const text =
    request.state === 'approved'
      ? `✅ ${mention(request.decidedBy ?? '')} approved your VPN access request for ${formatDuration({ hours: request.approvedHours ?? request.hours })}. Your profile is in this DM.`
      : request.state === 'denied'
        ? `🚫 ${mention(request.decidedBy ?? '')} denied your VPN access request. Ask a VPN admin if you need to know why.`
        : request.state === 'expired'
          ? '⌛ Your VPN access request lapsed: nobody decided within 24 hours. You can ask again.'
          : `📨 Your VPN access request went to the admins. It lapses ${formatTime(request.expiresAt)} unless one of them decides.`;
  return message(text, [section(text)]);
}
