import type { AgentAlert } from '../../ports';
import { message, section } from './blocks';
import { formatTime, plural } from './format';
import { code } from './markup';
import type { MessageView } from './types';

const ENDPOINTS_SHOWN = 10;

/**
 * An agent gone silent, or back. The agent id, host, version and endpoint names come from the heartbeat
 * the VPN host wrote, so each goes through `code`: a host named `<!channel>` pings no one.
 */
export function agentAlertMessage(alert: AgentAlert): MessageView {
  const agent = `${code(alert.agentId, 100)} on ${code(alert.host, 100)} (version ${code(alert.version, 40)})`;
  const shown = alert.endpoints.slice(0, ENDPOINTS_SHOWN).map((endpoint) => code(endpoint, 100));
  const more = alert.endpoints.length - shown.length;
  const endpoints = shown.length
    ? `${shown.join(', ')}${more > 0 ? ` and ${plural(more, 'more endpoint')}` : ''}`
    : 'no endpoint';
  const text =
    alert.kind === 'silent'
      ? `:rotating_light: The VPN agent ${agent} has sent no heartbeat since ${formatTime(alert.lastBeatAt)}. ` +
        `Until it is back, logins on ${endpoints} get no approval prompt, new CRLs do not reach the server, and session kills wait in the queue. ` +
        'On that host: `systemctl status vpnctl-agent` and `journalctl -u vpnctl-agent`.'
      : `:white_check_mark: The VPN agent ${agent} is back (heartbeat at ${formatTime(alert.lastBeatAt)}), serving ${endpoints}; queued session kills and the newest CRL follow now.`;
  return message(text, [section(text)]);
}
