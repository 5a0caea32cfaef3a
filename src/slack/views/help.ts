import { ACTION } from '../ids';
import { actions, button, context, message, section } from './blocks';
import type { MessageView } from './types';

export function helpMessage(isAdmin: boolean): MessageView {
  const lines = [
    '*What `/vpn` does*',
    '`/vpn issue [device] [for 8h|3d|2w]`: get a VPN profile, sent to you in a DM, e.g. `/vpn issue laptop`, or for a while only: `/vpn issue laptop for 8h`',
    '`/vpn status`: your certificates and when they expire',
    '`/vpn revoke`: revoke your own certificates, e.g. when a laptop is lost or stolen',
    '`/vpn help`: this list',
  ];
  if (isAdmin) {
    lines.push(
      '',
      '*Admin*',
      "`/vpn revoke @user [reason]`: end someone's VPN access everywhere: new logins refused at once, live sessions ended, a new CRL published. Reason e.g. `affiliationChanged` or `keyCompromise`",
      "`/vpn list [@user]`: every certificate, or one member's",
      '`/vpn crl`: CRL health per endpoint, with *Publish now*',
      '`/vpn logs [hours]`: connection attempts over the last 24 hours (at most 168): failures by reason, floods, people who keep failing',
      '`/vpn logs tls [hours]`: failed handshakes by client version × TLS version × cipher × cause, with the likely fix',
      '`/vpn doctor`: every check that can lock people out (CRLs, certificates, endpoints, DynamoDB, Slack, clock), each with its fix',
      '`/vpn audit [@user] [since]`: the audit trail as a CSV file in your DM, e.g. `/vpn audit @jane 30d` or `/vpn audit 2026-11-01`',
      '`/vpn grant @user 3d [reason]`: let someone issue for themselves for a duration like 8h, 3d or 2w, whatever ISSUE_POLICY says, e.g. `/vpn grant @jane 3d on call`',
    );
  }
  return message('VPN commands: /vpn issue [device], /vpn status, /vpn revoke, /vpn help', [
    section(lines.join('\n')),
    actions(button('Use my own key (CSR)', ACTION.issueWithCsr)),
    context(
      'To keep your private key on your own computer, paste a certificate signing request instead. Your certificates and recent logins are on the Home tab of this app.',
    ),
  ]);
}
