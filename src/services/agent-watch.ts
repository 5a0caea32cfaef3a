import { messageOf } from '../domain/errors';
import { MINUTE_MS } from '../domain/time';
import type { AgentHeartbeat, AgentRegistry, Clock } from '../ports';

/** An agent silent this long gets the admins' attention: three missed minutes of 15-second heartbeats is no hiccup. */
export const AGENT_SILENT_AFTER_MS = 5 * MINUTE_MS;

/** What admins are told about an agent, as data: the Slack side renders it (slack/views/agent-alerts.ts). */
export interface AgentAlert {
  /** `silent`: no heartbeat for 5 minutes; `back`: it beats again after such a silence. */
  kind: 'silent' | 'back';
  agentId: string;
  host: string;
  version: string;
  endpoints: string[];
  /** The newest heartbeat: the last one before the silence, or the one that ended it. */
  lastBeatAt: Date;
}

export interface AgentAlertSink {
  agent(alert: AgentAlert): Promise<void>;
}

export interface AgentWatchDeps {
  agents: AgentRegistry;
  alerts: AgentAlertSink;
  clock: Clock;
}

export interface AgentWatchReport {
  agents: number;
  silent: string[];
  back: string[];
  /** Agents whose change could not be recorded or told; the next round tries again. */
  problems: string[];
}

/**
 * The five-minute round: every agent silent for 5 minutes is reported once, and once more when it
 * beats again. `markSilent` records the change before anyone is told, and only the round that made
 * the change tells, so overlapping rounds (two schedulers, a retry) never alert twice.
 */
export async function watchAgents(deps: AgentWatchDeps): Promise<AgentWatchReport> {
  const report: AgentWatchReport = { agents: 0, silent: [], back: [], problems: [] };
  const agents = await deps.agents.list();
  report.agents = agents.length;
  const now = deps.clock.now().getTime();
  for (const agent of agents) {
    const silent = now - agent.at.getTime() > AGENT_SILENT_AFTER_MS;
    let changed = false;
    try {
      changed = await deps.agents.markSilent(agent.agentId, silent);
      if (!changed) continue;
      await deps.alerts.agent(alertOf(agent, silent ? 'silent' : 'back'));
      (silent ? report.silent : report.back).push(agent.agentId);
    } catch (error) {
      report.problems.push(`agent ${agent.agentId}: ${messageOf(error)}`);
      // Untold, so not recorded as told: the next round makes the same change and tries to tell again.
      if (changed) await deps.agents.markSilent(agent.agentId, !silent).catch(() => undefined);
    }
  }
  return report;
}

function alertOf(agent: AgentHeartbeat, kind: AgentAlert['kind']): AgentAlert {
  return {
    kind,
    agentId: agent.agentId,
    host: agent.host,
    version: agent.version,
    endpoints: agent.endpoints.map((endpoint) => endpoint.endpoint),
    lastBeatAt: agent.at,
  };
}
