import type { Alert } from '../../ports';
import type { LoginAlert } from '../../domain/approval';
import { message, section } from './blocks';
import { SLACK_LIMITS } from './limits';
import { code, mention, plainText, userText } from './markup';
import type { MessageView } from './types';

/**
 * Admin alerts. Everything in a login alert but the member ID and our own numbers comes from the
 * VPN client (platform, versions) or its certificate, so any employee with a modified client
 * controls it: each such value goes through `code` or `userText` (markup.ts states the rule).
 */
export function loginAlertMessage(alert: LoginAlert): MessageView {
  const { request } = alert;
  const from = request.publicIp ? code(request.publicIp, 64) : 'an unknown IP';
  const platform = request.platform ? userText(request.platform, 60) : 'an unknown platform';
  const text =
    alert.kind === 'prompt-flood'
      ? `:warning: More than ${alert.promptLimit} VPN login prompts for ${mention(alert.slackId)} within ${alert.windowMinutes} minutes; further logins are refused without asking them. Last attempt from ${from} on ${platform} (${code(request.commonName)}).`
      : `:rotating_light: ${mention(alert.slackId)} answered *Not me* to a VPN login with their certificate ${code(alert.cn)} (serial ${code(alert.serial, 64)}) from ${from}, ` +
        `${[platform, request.platformVersion && userText(request.platformVersion, 40)].filter(Boolean).join(' ')}, client ${request.clientVersion ? userText(request.clientVersion, 40) : 'unknown'}, endpoint ${code(request.endpointId || 'unknown', 100)}. ` +
        `The certificate is paused; revoke it with /vpn revoke ${mention(alert.slackId)} if it was stolen.`;
  return message(text, [section(text)]);
}

/**
 * A CRL alert from the daily job. Its message is a plain sentence for every sink (stderr too) and quotes
 * endpoint errors, so it is shown as plain_text: nothing in it is read as markup.
 */
export function crlAlertMessage(alert: Alert): MessageView {
  const icon = alert.level === 'critical' ? '🚨' : '⚠️';
  return {
    text: `${icon} ${userText(alert.message, 2_000)}`,
    blocks: [
      {
        type: 'section',
        text: { type: 'plain_text', text: `${icon} ${plainText(alert.message, SLACK_LIMITS.text - 3)}`, emoji: true },
      },
    ],
  };
}
