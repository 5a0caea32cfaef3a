import type { AgentHeartbeat, AgentRegistry, Clock } from '../ports';
import { AGENT_SILENT_AFTER_MS, LEASE_FIX } from './agent-watch';
import { AGENT_CLOCK_SKEW_WARN_S, CLOCK_SKEW_FAIL_S, skewText } from './clock-skew';
import { Check, iso } from './doctor-check';

/** Six missed 15-second heartbeats: the bot then refuses the agent's session list as stale. */
const HEARTBEAT_STALE_MS = 90_000;

const START =
  'On the VPN host: `systemctl status vpnctl-agent`, then `journalctl -u vpnctl-agent` for why it stopped (docs/self-hosted.md).';

const NTP = 'On that host: `timedatectl set-ntp true`; the endpoint lease relies on clocks within 20 s of each other.';

const age = (now: Date, at: Date) => Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));

/** The agent's clock as the bot can tell it: its own measurement, or a heartbeat dated ahead of this clock. */
function clockOf(agent: AgentHeartbeat, now: Date): { text: string; skewS: number } | undefined {
  const aheadS = (agent.at.getTime() - now.getTime()) / 1000;
  if (aheadS >= AGENT_CLOCK_SKEW_WARN_S)
    return {
      text: `heartbeat dated ${aheadS.toFixed(0)} s ahead of this clock (one of the two is off)`,
      skewS: aheadS,
    };
  const skewS = agent.clockSkewS;
  if (skewS === undefined) return undefined;
  const within = Math.abs(skewS) < AGENT_CLOCK_SKEW_WARN_S;
  return {
    text: within
      ? `its clock within ${Math.max(1, Math.ceil(Math.abs(skewS)))} s of its time reference`
      : `its clock ${skewText(skewS)} its time reference`,
    skewS,
  };
}

function role(report: AgentHeartbeat['endpoints'][number]): string {
  return report.acting === undefined ? report.endpoint : `${report.endpoint} (${report.acting ? 'acting' : 'standby'})`;
}

/** One line per agent: its last heartbeat's age, version and the endpoints it serves, acting or on standby. */
function agentCheck(agent: AgentHeartbeat, now: Date): Check {
  const seconds = age(now, agent.at);
  const name = `agent ${agent.agentId}`;
  const clock = clockOf(agent, now);
  const detail =
    `on ${agent.host}, version ${agent.version}, last heartbeat ${seconds} s ago (${iso(agent.at)}), ` +
    `serving ${agent.endpoints.map(role).join(', ') || 'no endpoint'}${clock ? `, ${clock.text}` : ''}`;
  const since = now.getTime() - agent.at.getTime();
  if (since > AGENT_SILENT_AFTER_MS) return { name, status: 'fail', detail: `${detail}: silent`, fix: START };
  if (since > HEARTBEAT_STALE_MS) return { name, status: 'warn', detail: `${detail}: late`, fix: START };
  const skew = Math.abs(clock?.skewS ?? 0);
  if (skew >= CLOCK_SKEW_FAIL_S) return { name, status: 'fail', detail: `${detail}: clock off`, fix: NTP };
  if (skew >= AGENT_CLOCK_SKEW_WARN_S) return { name, status: 'warn', detail: `${detail}: clock off`, fix: NTP };
  return { name, status: 'pass', detail };
}

/**
 * One line per endpoint the agents report: which agent acts for it (holds its lease). None fresh means
 * nobody answers its logins; two acting would mean the lease failed.
 */
function endpointAgentCheck(endpoint: string, agents: AgentHeartbeat[], now: Date): Check {
  const name = `${endpoint}: agent`;
  const serving = agents.map((agent) => ({
    agent,
    report: agent.endpoints.find((report) => report.endpoint === endpoint)!,
    fresh: now.getTime() - agent.at.getTime() <= HEARTBEAT_STALE_MS,
  }));
  const fresh = serving.filter((entry) => entry.fresh);
  const acting = fresh.filter((entry) => entry.report.acting === true);
  const who = (entries: typeof serving) =>
    entries.map(({ agent }) => `${agent.agentId} on ${agent.host} (${age(now, agent.at)} s ago)`).join(', ');
  if (fresh.length === 0)
    return {
      name,
      status: 'fail',
      detail: `no agent has reported it within ${HEARTBEAT_STALE_MS / 1000} s (last: ${who(serving)}): its logins get no answer`,
      fix: START,
    };
  if (acting.length > 1)
    return {
      name,
      status: 'fail',
      detail: `${acting.length} agents act for it at once: ${who(acting)}`,
      fix: 'Check the clocks of those hosts (`timedatectl`): the lease relies on them; stop all but one agent until they agree.',
    };
  if (acting.length === 1) {
    const standby = fresh.filter((entry) => entry !== acting[0]);
    return {
      name,
      status: 'pass',
      detail: `${who(acting)} holds the lease${standby.length ? `; standby: ${who(standby)}` : ''}`,
    };
  }
  const refused = fresh.filter((entry) => entry.report.leaseError !== undefined);
  if (refused.length > 0)
    return {
      name,
      status: 'fail',
      detail:
        `served by ${who(fresh)}, all on standby: none can take the lease (` +
        refused.map(({ agent, report }) => `${agent.agentId}: ${report.leaseError}`).join('; ') +
        '): its logins get no answer',
      fix: LEASE_FIX,
    };
  if (fresh.some((entry) => entry.report.acting === false))
    return {
      name,
      status: 'warn',
      detail: `served by ${who(fresh)}, all on standby: none holds the lease yet`,
      fix: 'The lease passes within a minute; if this persists, see the agents’ logs (`journalctl -u vpnctl-agent`).',
    };
  return { name, status: 'pass', detail: `served by ${who(fresh)}` };
}

/** The agents' side of `doctor`; no agent reporting is no line here: an agent-served endpoint's own check says so. */
export async function agentChecks(deps: { agents: AgentRegistry; clock: Clock }): Promise<Check[]> {
  const now = deps.clock.now();
  const agents = [...(await deps.agents.list())].sort((a, b) => a.agentId.localeCompare(b.agentId));
  const endpoints = [...new Set(agents.flatMap((agent) => agent.endpoints.map((report) => report.endpoint)))].sort();
  return [
    ...agents.map((agent) => agentCheck(agent, now)),
    ...endpoints.map((endpoint) =>
      endpointAgentCheck(
        endpoint,
        agents.filter((agent) => agent.endpoints.some((report) => report.endpoint === endpoint)),
        now,
      ),
    ),
  ];
}
