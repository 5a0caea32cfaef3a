import type { AgentHealthAlert } from '../../ports';
import { AGENT_CLOCK_SKEW_WARN_S } from '../../services/clock-skew';
import { message, section } from './blocks';
import { count, formatTime, plural } from './format';
import { code, userText } from './markup';
import type { MessageView } from './types';

const MANAGEMENT_FIX =
  'On that host: is the OpenVPN server running, does its `management` line match the endpoint in VPN_ENDPOINTS, ' +
  'does the management password file (`managementPasswordFile`) hold the password the server reads, and can the ' +
  'agent write its CRL file (`crlFile`)? ' +
  '`journalctl -u vpnctl-agent` names the fault (docs/self-hosted.md, "Faults").';
const NTP_FIX = 'On that host: `timedatectl` and `timedatectl set-ntp true`.';

const KILLS_SHOWN = 5;
const AGENTS_SHOWN = 5;

const agentName = (agent: { agentId: string; host: string }) =>
  `${code(agent.agentId, 100)} on ${code(agent.host, 100)}`;

function killLine(kill: Extract<AgentHealthAlert, { kills: unknown }>['kills'][number]): string {
  const who = kill.commonName !== undefined ? code(kill.commonName, 100) : `client ${code(kill.connectionId, 40)}`;
  const error = kill.lastError !== undefined ? `, last: ${userText(kill.lastError, 200)}` : '';
  return `${who} since ${formatTime(kill.requestedAt)} (${plural(kill.attempts, 'try', 'tries')}${error})`;
}

/**
 * What an agent's heartbeat shows that a person must act on: an endpoint that cannot serve, two agents acting for
 * one endpoint, kills that could not be carried out, a clock that is off; and each one's end. Names, the reason and the fix come from the heartbeat
 * the VPN host wrote: escaped.
 */
export function agentHealthAlertMessage(alert: AgentHealthAlert): MessageView {
  if ('agents' in alert) return actingMessage(alert);
  const agent = agentName(alert);
  let text: string;
  switch (alert.kind) {
    case 'cannot-serve':
      text =
        `:rotating_light: ${code(alert.endpoint, 100)} cannot serve: its agent ${agent} has found it unhealthy since ` +
        `${formatTime(alert.at)}: ${userText(alert.reason, 500)}. While it is, its logins may get no approval prompt ` +
        `and no answer, and revocations may not reach it. ${alert.fix !== undefined ? userText(alert.fix, 300) : MANAGEMENT_FIX}`;
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
      text = `:white_check_mark: The VPN agent ${agent}: its clock is within ${AGENT_CLOCK_SKEW_WARN_S} s again.`;
      break;
    case 'kills-stuck': {
      const shown = alert.kills.slice(0, KILLS_SHOWN).map(killLine);
      const more = alert.kills.length - shown.length;
      text =
        `:rotating_light: ${plural(alert.kills.length, 'session')} revoked on ${code(alert.endpoint, 100)} could not be ended ` +
        `by its agent ${agent}: ${shown.join('; ')}${more > 0 ? `; and ${count(more)} more` : ''}. They stay queued and are retried ` +
        'every 2 s; the CRL refuses their next connection. On that host: `journalctl -u vpnctl-agent` says why; restarting the ' +
        'OpenVPN server ends every session.';
      break;
    }
    case 'kills-done':
      text = `:white_check_mark: No revoked session on ${code(alert.endpoint, 100)} is waiting to be ended any more (agent ${agent}).`;
      break;
  }
  return message(text, [section(text)]);
}

/** Two agents acting for one endpoint both answer its logins and write its CRL: the lease needs their clocks to agree. */
function actingMessage(alert: Extract<AgentHealthAlert, { kind: 'two-acting' | 'one-acting' }>): MessageView {
  const endpoint = code(alert.endpoint, 100);
  const shown = alert.agents.slice(0, AGENTS_SHOWN).map(agentName);
  const more = alert.agents.length - shown.length;
  const agents = `${shown.join(' and ')}${more > 0 ? ` and ${count(more)} more` : ''}`;
  const text =
    alert.kind === 'two-acting'
      ? `:rotating_light: ${count(alert.agents.length)} VPN agents act for ${endpoint} at once: ${agents}. ` +
        'Each answers its logins and writes its CRL, though the endpoint lease lets one act at a time: their clocks ' +
        'likely disagree by more than 20 s. On each host: `timedatectl` (and `timedatectl set-ntp true`); until they ' +
        'agree, stop all but one agent (`systemctl stop vpnctl-agent`).'
      : `:white_check_mark: One VPN agent acts for ${endpoint} again: ${agents}.`;
  return message(text, [section(text)]);
}
