import { HOUR_MS } from '../domain/time';
import type {
  AgentRegistry,
  Clock,
  HandshakeProbe,
  HandshakeProbeReport,
  HandshakeTarget,
  VpnEndpoint,
} from '../ports';
import { Check, guard, iso } from './doctor-check';

/** An agent probes once an hour (services/agent/handshake-probe.ts); a result older than two rounds is not evidence. */
const REPORT_STALE_MS = 2 * HOUR_MS;
/** OpenVPN's answer to a client's reset: the server started a TLS session for whoever sent it. */
const P_CONTROL_HARD_RESET_SERVER_V2 = 8;

const FIX =
  'Add `tls-crypt /etc/openvpn/tc.key` (or per-client keys: `tls-crypt-v2 /etc/openvpn/server-v2.key`) to the server configuration and restart it, and set "tlsCryptKeyFile" for this endpoint in VPN_ENDPOINTS so every profile carries the key (docs/self-hosted.md). Seed 002: unauthenticated handshakes then cost the server one dropped packet each, not a TLS session held for 60 s.';

/** The `remote` and `proto` of a client configuration: where the server listens, as VPN_ENDPOINTS' "remote" says. */
export function handshakeTarget(clientConfiguration: string): HandshakeTarget | undefined {
  let proto: string | undefined;
  let remote: string[] | undefined;
  for (const line of clientConfiguration.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'proto' && words[1]) proto = words[1];
    if (words[0] === 'remote' && words[1] && remote === undefined) remote = words.slice(1);
  }
  if (!remote) return undefined;
  const port = Number(remote[1] ?? '1194');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  const named = (remote[2] ?? proto ?? 'udp').toLowerCase();
  return { host: remote[0], port, proto: named.startsWith('tcp') ? 'tcp' : 'udp' };
}

const where = (target: HandshakeTarget) => `${target.host}:${target.port}/${target.proto}`;

/**
 * The agent's probe, on its own host: the server listens there whatever public name "remote" gives, so a
 * name that is not this host's is probed on loopback at the same port.
 */
export async function probeOnThisHost(
  probe: HandshakeProbe,
  endpoint: VpnEndpoint,
  clock: Clock,
): Promise<HandshakeProbeReport | undefined> {
  const target = handshakeTarget(await endpoint.clientConfiguration());
  if (!target) return undefined;
  const local = probe.isThisHost(target.host) ? target : { ...target, host: '127.0.0.1' };
  return { at: clock.now(), target: local, result: await probe.probe(local) };
}

/** What one probe proves: only silence from a port where something listens passes. */
export function judgeProbe(endpoint: string, report: HandshakeProbeReport, by: string): Check {
  const name = `${endpoint}: tls-crypt enforced`;
  const at = where(report.target);
  const { result } = report;
  switch (result.outcome) {
    case 'silent':
      return {
        name,
        status: 'pass',
        detail: `a handshake without the tls-crypt wrapping got no answer from ${at} ${result.hungUp ? 'before it closed the connection' : `within ${(result.waitedMs / 1000).toFixed(1)} s`}, and something listens there (no port unreachable): unauthenticated handshakes are dropped before TLS (${by})`,
      };
    case 'answered':
      return {
        name,
        status: 'fail',
        detail: `${at} answered a handshake that carried no tls-crypt key${result.opcode === P_CONTROL_HARD_RESET_SERVER_V2 ? ' with P_CONTROL_HARD_RESET_SERVER_V2' : ` (opcode ${result.opcode})`}: anyone who reaches the port makes the server start TLS, which is how seed 002's flood took a server down (${by})`,
        fix: FIX,
      };
    case 'nothing-listening':
      return {
        name,
        status: 'warn',
        detail: `not proven: nothing listens at ${at} (port unreachable), so the probe reached no server (${by})`,
        // Most often the server is simply down (the endpoint's own line says why); the address is the rarer cause.
        fix: 'Start the server (the endpoint line above says why it is down). If it is running, check that the endpoint\'s "remote" names where it listens: a server bound to one address (`local`) must be probed there.',
      };
    case 'error':
      return {
        name,
        status: 'warn',
        detail: `not proven: the probe of ${at} failed: ${result.detail} (${by})`,
        fix: 'Run `vpnctl doctor` again; if it persists, check that the port in "remote" is the server\'s.',
      };
  }
}

export interface TlsCryptCheckDeps {
  handshake?: HandshakeProbe;
  agents?: AgentRegistry;
  clock: Clock;
}

async function tlsCryptCheck(deps: TlsCryptCheckDeps, endpoint: VpnEndpoint): Promise<Check> {
  const name = `${endpoint.key}: tls-crypt enforced`;
  const heartbeat = await deps.agents?.serving(endpoint.key);
  const reported = heartbeat?.endpoints.find((report) => report.endpoint === endpoint.key)?.handshakeProbe;
  if (heartbeat && reported) {
    const by = `probed by agent ${heartbeat.agentId} on ${heartbeat.host} at ${iso(reported.at)}`;
    if (deps.clock.now().getTime() - reported.at.getTime() > REPORT_STALE_MS)
      return {
        name,
        status: 'warn',
        detail: `not proven: the agent's last probe is older than ${REPORT_STALE_MS / HOUR_MS} h (${by})`,
        fix: 'On the VPN host: `systemctl status vpnctl-agent`; the agent probes once an hour.',
      };
    return judgeProbe(endpoint.key, reported, by);
  }
  const target = handshakeTarget(await endpoint.clientConfiguration());
  if (!target)
    return {
      name,
      status: 'warn',
      detail: 'not checked: the client configuration names no `remote` to probe',
      fix: 'Set "remote" ("host port proto") for this endpoint in VPN_ENDPOINTS.',
    };
  if (!deps.handshake)
    return {
      name,
      status: 'warn',
      detail: `not checked: nothing here sends handshakes to ${where(target)}`,
      fix: 'Run `vpnctl doctor`, which probes a server on its own host.',
    };
  if (!deps.handshake.isThisHost(target.host))
    return {
      name,
      status: 'warn',
      detail: `not checked: ${where(target)} is not on this host, and only a server on this host is probed${heartbeat ? `; agent ${heartbeat.agentId} has not reported a probe yet (an agent older than this check never does)` : ''}`,
      fix: 'Probe from the VPN host via the agent: serve the endpoint with `vpnctl agent` there ("servedBy": "agent"), which reports the probe in its heartbeat, or run `vpnctl doctor` on that host.',
    };
  return judgeProbe(
    endpoint.key,
    { at: deps.clock.now(), target, result: await deps.handshake.probe(target) },
    'probed here',
  );
}

/** One line per self-hosted endpoint: AWS Client VPN has no tls-crypt to enforce. */
export function tlsCryptChecks(deps: TlsCryptCheckDeps, endpoints: readonly VpnEndpoint[]): Promise<Check[]>[] {
  return endpoints
    .filter((endpoint) => endpoint.kind === 'openvpn')
    .map((endpoint) =>
      guard(`${endpoint.key}: tls-crypt enforced`, 'Check "remote" for this endpoint in VPN_ENDPOINTS.', () =>
        tlsCryptCheck(deps, endpoint),
      ),
    );
}
