import { messageOf } from '../../domain/errors';
import type {
  AgentEndpointReport,
  AgentHeartbeat,
  AgentLog,
  AgentRegistry,
  Clock,
  EndpointHealth,
  HandshakeProbeReport,
  VpnEndpoint,
  VpnSession,
} from '../../ports';

export interface HeartbeatDeps {
  registry: AgentRegistry;
  clock: Clock;
  agentId: string;
  host: string;
  version: string;
  log: AgentLog;
  /** The latest unwrapped-handshake probe per endpoint key, reported for the bot's doctor. */
  probes?: ReadonlyMap<string, HandshakeProbeReport>;
  /**
   * Since when each endpoint has been unhealthy, kept by the caller from beat to beat (the bot alerts after 5 minutes).
   */
  unhealthySince?: Map<string, Date>;
  /** The agent's latest clock measurement (services/agent/clock-watch.ts). */
  clockSkewS?: number;
  /** Per endpoint key: why the agent could not take the lease, for the endpoints it stands by for. */
  leaseErrors?: ReadonlyMap<string, LeaseError>;
}

/** A lease the agent failed to take (the table refused or did not answer), and since when it has failed. */
export interface LeaseError {
  error: string;
  since: Date;
}

/**
 * One heartbeat: what the bot shows and answers from for the endpoints this agent acts for (their
 * health, live sessions, and what profiles are built from), and the endpoints it stands by for. A part
 * that cannot be read is left out or reported as unhealthy; it never stops the beat, whose absence
 * alone means the agent is gone.
 */
export async function beat(
  deps: HeartbeatDeps,
  endpoints: readonly VpnEndpoint[],
  standby: readonly VpnEndpoint[] = [],
): Promise<AgentHeartbeat> {
  const at = deps.clock.now();
  const reports = await Promise.all(endpoints.map((endpoint) => report(deps, endpoint)));
  const heartbeat: AgentHeartbeat = {
    agentId: deps.agentId,
    host: deps.host,
    version: deps.version,
    at,
    endpoints: [
      ...withUnhealthySince(deps.unhealthySince, reports, at),
      ...standby.map((endpoint) => standingBy(endpoint, deps.leaseErrors?.get(endpoint.key))),
    ],
    ...(deps.clockSkewS !== undefined && { clockSkewS: deps.clockSkewS }),
  };
  await deps.registry.beat(heartbeat);
  return heartbeat;
}

/**
 * Named, so doctor, Home and the silence alert know the agent is there for it; not ok and with no sessions,
 * because a standby agent reads nothing from the server, so nobody may take its report for the server's state.
 * A lease it cannot take is said as such: no other agent may be acting, and the bot alerts when none is.
 */
function standingBy(endpoint: VpnEndpoint, leaseError: LeaseError | undefined): AgentEndpointReport {
  const report = { endpoint: endpoint.key, acting: false, sessions: [] };
  if (!leaseError)
    return {
      ...report,
      health: { ok: false, detail: 'standing by: another agent holds the lease and reports this server' },
    };
  return {
    ...report,
    health: { ok: false, detail: `cannot take the lease: ${leaseError.error}` },
    unhealthySince: leaseError.since,
    leaseError: leaseError.error,
  };
}

/**
 * Each unhealthy endpoint this agent acts for keeps its first unhealthy beat; one healthy again, or no longer
 * acted for, starts afresh.
 */
function withUnhealthySince(
  memory: Map<string, Date> | undefined,
  reports: AgentEndpointReport[],
  at: Date,
): AgentEndpointReport[] {
  if (!memory) return reports;
  const unhealthy = new Set(reports.filter((each) => !each.health.ok).map((each) => each.endpoint));
  for (const endpoint of [...memory.keys()]) if (!unhealthy.has(endpoint)) memory.delete(endpoint);
  return reports.map((each) => {
    if (each.health.ok) return each;
    const first = memory.get(each.endpoint) ?? at;
    memory.set(each.endpoint, first);
    return { ...each, unhealthySince: first };
  });
}

async function report(deps: HeartbeatDeps, endpoint: VpnEndpoint): Promise<AgentEndpointReport> {
  const optional = async <T>(what: string, read: (() => Promise<T | undefined>) | undefined) => {
    try {
      return await read?.();
    } catch (error) {
      deps.log.warn(`${endpoint.key}: left ${what} out of the heartbeat: ${messageOf(error)}`);
      return undefined;
    }
  };
  let health: EndpointHealth = await endpoint
    .health()
    .catch((error: unknown) => ({ ok: false, detail: messageOf(error) }));
  let sessions: VpnSession[] = [];
  if (health.ok) {
    try {
      sessions = await endpoint.listSessions();
    } catch (error) {
      // An empty list would read as "nobody connected", and a revoke would end no one: say it cannot be read.
      deps.log.warn(`${endpoint.key}: could not list the sessions for the heartbeat: ${messageOf(error)}`);
      health = { ...health, ok: false, detail: `the sessions could not be listed: ${messageOf(error)}` };
    }
  }
  const clientConfiguration = await optional('the client configuration', () => endpoint.clientConfiguration());
  const tlsCryptKey = await optional('the tls-crypt key', endpoint.tlsCryptKey?.bind(endpoint));
  const serverCertificate = await optional('the server certificate', endpoint.serverCertificate?.bind(endpoint));
  const handshakeProbe = deps.probes?.get(endpoint.key);
  return {
    endpoint: endpoint.key,
    acting: true,
    health,
    sessions,
    ...(clientConfiguration !== undefined && { clientConfiguration }),
    ...(tlsCryptKey !== undefined && { tlsCryptKey }),
    ...(serverCertificate !== undefined && { serverCertificate }),
    ...(handshakeProbe !== undefined && { handshakeProbe }),
  };
}
