import type { Grant } from '../../domain/access';
import { message, section } from './blocks';
import { formatTime } from './format';
import { mention, userText } from './markup';
import type { MessageView } from './types';

/** To the grantee: they may issue for themselves until the grant runs out. */
export function accessGrantedMessage(grant: Grant): MessageView {
  const text = `🔓 ${mention(grant.grantedBy)} granted you VPN access: you may now issue a certificate with \`/vpn issue\` until ${formatTime(grant.until)}.${grant.reason ? ` Reason: ${userText(grant.reason, 200)}` : ''}`;
  return message(text, [section(text)]);
}
