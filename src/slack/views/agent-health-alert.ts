import type { AgentHealthAlert } from '../../services/agent-watch';
import { message, section } from './blocks';
import { formatTime } from './format';
import { code, userText } from './markup';
import type { MessageView } from './types';

const MANAGEMENT_FIX =
  'On that host: is the OpenVPN server running, does its `management` line match the endpoint in VPN_ENDPOINTS, ' +
  'and does the management password file (`managementPasswordFile`) hold the password the server reads? ' +
  '`journalctl -u vpnctl-agent` names the fault (docs/self-hosted.md, "Faults").';
const NTP_FIX = 'On that host: `timedatectl` and `timedatectl set-ntp true`.';

/**
 * What an agent's heartbeat shows that a person must act on: an endpoint that cannot serve, a clock that is
 * off; and each one's end. Names, the reason and the fix come from the heartbeat the VPN host wrote: escaped.
 */
export function agentHealthAlertMessage(alert: AgentHealthAlert): MessageView {
  const agent = `${code(alert.agentId, 100)} on ${code(alert.host, 100)}`;
  let text: string;
  switch (alert.kind) {
    case 'cannot-serve':
      text =
        `:rotating_light: ${code(alert.endpoint, 100)} cannot serve: its agent ${agent} has found it unhealthy since ` +
        `${formatTime(alert.at)}: ${userText(alert.reason, 500)}. Until it is fixed, its logins get no approval prompt ` +
        `and no answer, and session kills wait in the queue. ${alert.fix !== undefined ? userText(alert.fix, 300) : MANAGEMENT_FIX}`;
      break;
    case 'serves-again':
      text = `:white_check_mark: ${code(alert.endpoint, 100)} serves again: its agent ${agent} finds it healthy (${userText(alert.reason, 300)}).`;
      break;
    case 'clock-skewed': {
      const off = `${Math.abs(alert.skewS).toFixed(0)} s ${alert.skewS > 0 ? 'ahead of' : 'behind'}`;
      const measured =
        alert.measuredBy === 'heartbeat'
          ? `its heartbeat is dated ${off} the bot's clock (one of the two is off)`
          : `its clock is ${off} its time reference`;
      text =
        `:warning: The VPN agent ${agent}: ${measured}. The endpoint lease relies on clocks within 20 s of each other: ` +
        `past that, two agents may act for one endpoint at once. ${NTP_FIX}`;
      break;
    }
    case 'clock-back':
      text = `:white_check_mark: The VPN agent ${agent}: its clock is within 30 s again.`;
      break;
  }
  return message(text, [section(text)]);
}
