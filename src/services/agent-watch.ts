import { messageOf } from '../domain/errors';
import { MINUTE_MS } from '../domain/time';
import type {
  AgentAlert,
  AgentAlertSink,
  AgentEndpointReport,
  AgentHealthAlert,
  AgentHeartbeat,
  AgentRegistry,
  Clock,
  SessionKill,
  SessionKillQueue,
} from '../ports';
import { AGENT_CLOCK_SKEW_WARN_S } from './clock-skew';

/** An agent silent this long gets the admins' attention: three missed minutes of 15-second heartbeats is no hiccup. */
export const AGENT_SILENT_AFTER_MS = 5 * MINUTE_MS;
/** An endpoint its agent reports unhealthy this long is no restart: its logins go unanswered until a person acts. */
export const ENDPOINT_DOWN_AFTER_MS = 5 * MINUTE_MS;
/** A kill is retried every 2 s: 30 failures is a minute of a server refusing, no passing fault. */
export const KILL_STUCK_ATTEMPTS = 30;
/** Revoke waits 10 s for its kills; one still queued after 10 minutes has a person's attention coming. */
export const KILL_STUCK_AFTER_MS = 10 * MINUTE_MS;
/** Six missed 15-second heartbeats: an older one says nothing about now (doctor calls it late). */
const FRESH_MS = 90_000;

/** Where to look when an agent cannot take an endpoint's lease: an item the agent's role must be let write. */
export const LEASE_FIX =
  "Is the endpoint in the agent role's `agentEndpoints` (the deployed settings), or may a policy written by hand " +
  'write its `AGENT-ENDPOINT#` items? `journalctl -u vpnctl-agent` names the refused request (docs/self-hosted.md, "Faults").';

export interface AgentWatchDeps {
  agents: AgentRegistry;
  alerts: AgentAlertSink;
  clock: Clock;
  /** The kills the bot queued for the agents; without it no stuck kill is told. */
  kills?: SessionKillQueue;
}

export interface AgentWatchReport {
  agents: number;
  silent: string[];
  back: string[];
  /** Faults told or told over this round, e.g. `cannot-serve openvpn:office`, `clock-back vpn1`. */
  told: string[];
  /** Changes that could not be recorded or told; the next round tries again. */
  problems: string[];
}

/**
 * The five-minute round: every agent silent for 5 minutes is reported once, and once more when it
 * beats again. `markSilent` records the change before anyone is told, and only the round that made
 * the change tells, so overlapping rounds (two schedulers, a retry) never alert twice. What the fresh
 * heartbeats show (an endpoint that cannot serve, stuck kills, a clock off) is told the same way, through
 * `markAlerted`.
 */
export async function watchAgents(deps: AgentWatchDeps): Promise<AgentWatchReport> {
  const report: AgentWatchReport = { agents: 0, silent: [], back: [], told: [], problems: [] };
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
  const fresh = agents.filter((agent) => now - agent.at.getTime() <= FRESH_MS);
  const acting = actingReports(fresh);
  await watchEndpoints(deps, new Map([...acting, ...leaseFailures(fresh, acting)]), report);
  await watchActingAgents(deps, fresh, report);
  await watchKills(deps, acting, now, report);
  await watchClocks(deps, fresh, now, report);
  return report;
}

type Reports = Map<string, { agent: AgentHeartbeat; endpoint: AgentEndpointReport }>;

const acts = (endpoint: AgentEndpointReport) => endpoint.acting !== false;
const oldestFirst = (agents: AgentHeartbeat[]) => [...agents].sort((a, b) => a.at.getTime() - b.at.getTime());

/** Each endpoint as its newest fresh acting heartbeat reports it. */
function actingReports(fresh: AgentHeartbeat[]): Reports {
  const newest: Reports = new Map();
  for (const agent of oldestFirst(fresh))
    for (const endpoint of agent.endpoints) if (acts(endpoint)) newest.set(endpoint.endpoint, { agent, endpoint });
  return newest;
}

/** Each endpoint no fresh heartbeat acts for, as its newest fresh standby report that could not take the lease shows it. */
function leaseFailures(fresh: AgentHeartbeat[], acting: Reports): Reports {
  const newest: Reports = new Map();
  for (const agent of oldestFirst(fresh))
    for (const endpoint of agent.endpoints)
      if (!acts(endpoint) && endpoint.leaseError !== undefined && !acting.has(endpoint.endpoint))
        newest.set(endpoint.endpoint, { agent, endpoint });
  return newest;
}

/**
 * Each endpoint as its newest fresh acting heartbeat shows it or, when none acts for it, as a standby report
 * that could not take its lease. One unhealthy for 5 minutes by the agent's clock (refused or wrong management
 * password, the server down, a lease the agent's role may not write) is told once, and once more when an agent
 * acts for it and finds it healthy. An endpoint no fresh heartbeat reports changes nothing: a silent agent is
 * told as such.
 */
async function watchEndpoints(deps: AgentWatchDeps, reports: Reports, report: AgentWatchReport) {
  for (const [name, { agent, endpoint }] of reports) {
    const { health, unhealthySince } = endpoint;
    const down =
      !health.ok &&
      unhealthySince !== undefined &&
      agent.at.getTime() - unhealthySince.getTime() >= ENDPOINT_DOWN_AFTER_MS;
    // Unhealthy for less than that (a restart, a reconnect under way): neither told nor told over yet.
    if (!health.ok && !down) continue;
    const fix = acts(endpoint) ? health.fix : LEASE_FIX;
    await tell(deps, report, `endpoint#${name}`, down, {
      kind: down ? 'cannot-serve' : 'serves-again',
      endpoint: name,
      agentId: agent.agentId,
      host: agent.host,
      reason: health.detail,
      ...(fix !== undefined && { fix }),
      at: down ? unhealthySince! : agent.at,
    });
  }
}

/**
 * Two agents acting for one endpoint at once (their clocks disagree past the lease's margin, or a lease
 * table that lost a write) both answer logins and write the CRL: told once, and once more when one acts again.
 */
async function watchActingAgents(deps: AgentWatchDeps, fresh: AgentHeartbeat[], report: AgentWatchReport) {
  const byEndpoint = new Map<string, AgentHeartbeat[]>();
  for (const agent of oldestFirst(fresh).reverse())
    for (const endpoint of agent.endpoints)
      if (acts(endpoint)) byEndpoint.set(endpoint.endpoint, [...(byEndpoint.get(endpoint.endpoint) ?? []), agent]);
  for (const [name, agents] of byEndpoint) {
    const two = agents.length > 1;
    await tell(deps, report, `acting#${name}`, two, {
      kind: two ? 'two-acting' : 'one-acting',
      endpoint: name,
      agents: agents.map(({ agentId, host }) => ({ agentId, host })),
    });
  }
}

/**
 * The kills queued for each endpoint a fresh agent acts for: one that failed 30 times or waited 10 minutes
 * is told once (it stays queued), and once more when none is stuck. A silent agent's kills wait for it.
 */
async function watchKills(deps: AgentWatchDeps, acting: Reports, now: number, report: AgentWatchReport) {
  if (!deps.kills) return;
  for (const [name, { agent }] of acting) {
    let stuck: SessionKill[];
    try {
      stuck = (await deps.kills.pending(name)).filter(
        (kill) => kill.attempts >= KILL_STUCK_ATTEMPTS || now - kill.requestedAt.getTime() >= KILL_STUCK_AFTER_MS,
      );
    } catch (error) {
      report.problems.push(`kills#${name}: ${messageOf(error)}`);
      continue;
    }
    await tell(deps, report, `kills#${name}`, stuck.length > 0, {
      kind: stuck.length > 0 ? 'kills-stuck' : 'kills-done',
      endpoint: name,
      agentId: agent.agentId,
      host: agent.host,
      kills: stuck.map(({ connectionId, commonName, requestedAt, attempts, lastError }) => ({
        connectionId,
        ...(commonName !== undefined && { commonName }),
        requestedAt,
        attempts,
        ...(lastError !== undefined && { lastError }),
      })),
    });
  }
}

/**
 * Each fresh agent's clock: the skew it measured, or its heartbeat dated ahead of the bot's clock (which
 * the heartbeat's age would otherwise hide). 10 s off is told once, and once more when it is back.
 */
async function watchClocks(deps: AgentWatchDeps, fresh: AgentHeartbeat[], now: number, report: AgentWatchReport) {
  for (const agent of fresh) {
    const aheadS = (agent.at.getTime() - now) / 1000;
    const byHeartbeat = aheadS >= AGENT_CLOCK_SKEW_WARN_S;
    const skewS = byHeartbeat ? aheadS : (agent.clockSkewS ?? 0);
    const skewed = Math.abs(skewS) >= AGENT_CLOCK_SKEW_WARN_S;
    await tell(deps, report, `clock#${agent.agentId}`, skewed, {
      kind: skewed ? 'clock-skewed' : 'clock-back',
      agentId: agent.agentId,
      host: agent.host,
      skewS,
      measuredBy: byHeartbeat ? 'heartbeat' : 'reference',
    });
  }
}

/** As for silence: the flag first, then the alert, and an alert not sent is not recorded as told. */
async function tell(
  deps: AgentWatchDeps,
  report: AgentWatchReport,
  subject: string,
  raised: boolean,
  alert: AgentHealthAlert,
): Promise<void> {
  let changed = false;
  try {
    changed = await deps.agents.markAlerted(subject, raised);
    if (!changed) return;
    await deps.alerts.health(alert);
    report.told.push(`${alert.kind} ${'endpoint' in alert ? alert.endpoint : alert.agentId}`);
  } catch (error) {
    report.problems.push(`${subject}: ${messageOf(error)}`);
    if (changed) await deps.agents.markAlerted(subject, !raised).catch(() => undefined);
  }
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
