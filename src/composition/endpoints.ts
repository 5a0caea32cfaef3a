import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isLocalMode, stateDir } from '../state';
import { AwsClientVpnEndpoint } from '../adapters/aws-client-vpn/endpoint';
import { OpenVpnEndpoint } from '../adapters/openvpn/endpoint';
import { AgentServedEndpoint } from '../adapters/agent/endpoint';
import { ShippedConnectionLog } from '../adapters/agent/connection-log';
import type { ManagementClient } from '../adapters/openvpn/management';
import { OpenVpnConnectionLog } from '../adapters/openvpn/connection-log';
import { CloudWatchConnectionLog } from '../adapters/cloudwatch-logs/connection-log';
import { cloudWatchMetricReader } from '../adapters/cloudwatch-metrics/client';
import { CloudWatchFailureMetrics } from '../adapters/cloudwatch-metrics/failure-metrics';
import type { Config, EndpointConfig } from '../config';
import { VpnChatopsError } from '../domain/errors';
import type { CertificateAuthority } from '../pki/ca';
import { generateTlsCryptKey } from '../pki/tls-crypt';
import { generateTlsCryptV2ServerKey } from '../pki/tls-crypt-v2';
import { systemClock } from '../ports';
import { tlsCryptV2KeysFor } from './tls-crypt-v2-keys';
import type {
  AgentRegistry,
  ConnectionLogSource,
  CrlDistribution,
  FailureMetricsSource,
  SessionKillQueue,
  ShippedLog,
  TlsCryptV2KeyStore,
  VpnEndpoint,
} from '../ports';

/**
 * The OpenVPN endpoint `npm start` runs when no endpoint is configured. npm start runs its agent too and
 * adds it to its own VPN_ENDPOINTS as served by the agent (local-stack.ts); vpnctl on the same state,
 * without an agent, reaches it directly.
 */
export function localEndpointConfig(config: Config): Extract<EndpointConfig, { type: 'openvpn' }> {
  const dir = join(stateDir(config), 'openvpn');
  return {
    type: 'openvpn',
    name: 'local',
    management: `127.0.0.1:${config.LOCAL_VPN_MANAGEMENT_PORT}`,
    crlFile: join(dir, 'crl.pem'),
    remote: `127.0.0.1 ${config.LOCAL_VPN_PORT} udp`,
    ...(config.LOCAL_VPN_TLS_CRYPT_V2 === 'true'
      ? { tlsCryptV2ServerKeyFile: join(dir, 'tls-crypt-v2-server.key') }
      : { tlsCryptKeyFile: join(dir, 'tls-crypt.key') }),
    logFile: join(dir, 'openvpn.log'),
    // Without it any local user could approve logins through the management port (the server creates it).
    managementPasswordFile: join(dir, 'management.pw'),
    // Written by npm start (local/openvpn-server.ts), so doctor sees when it runs out.
    serverCertFile: join(dir, 'server.crt'),
  };
}

/**
 * The local endpoint's own secret, tls-crypt's or tls-crypt-v2's: created once, mode 0600, kept with the local state.
 */
export function ensureLocalTlsCryptKey(
  endpoint: Pick<OpenVpnConfig, 'tlsCryptKeyFile' | 'tlsCryptV2ServerKeyFile'>,
): void {
  const file = endpoint.tlsCryptV2ServerKeyFile ?? endpoint.tlsCryptKeyFile!;
  const key = endpoint.tlsCryptV2ServerKeyFile ? generateTlsCryptV2ServerKey() : generateTlsCryptKey();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export interface EndpointWiring {
  /**
   * Management connections held open by a login-approval bridge in this process, by OpenVPN endpoint name
   * (the login-approval e2e tests run one beside the bot). OpenVPN serves one management client at a time,
   * so the endpoint must send its commands through that connection instead of opening a second one that
   * would never be served.
   */
  management?: ReadonlyMap<string, ManagementClient>;
  /** The table's side of `vpnctl agent`: the only way to an endpoint it serves. */
  agent?: AgentStores;
  /** The endpoint whose server npm start runs beside the bot: CRL status then also says when it does not answer. */
  runsBeside?: string;
  /** Where agent-served endpoints' tls-crypt-v2 server keys are kept; tlsCryptV2KeysFor(config) when not given. */
  tlsCryptV2Keys?: TlsCryptV2KeyStore;
}

/** What `storesFor(db)` holds for the agent; named alike, so the stores themselves can be passed. */
export interface AgentStores {
  crlDistribution: CrlDistribution;
  sessionKills: SessionKillQueue;
  agents: AgentRegistry;
  shippedLog: Pick<ShippedLog, 'read'>;
}

type OpenVpnConfig = Extract<EndpointConfig, { type: 'openvpn' }>;

/**
 * Its paths are on the VPN host, so a bot without the table has no way to it at all: refuse, never fall back to them.
 */
function agentServed(
  endpoint: OpenVpnConfig,
  ca: CertificateAuthority,
  stores: AgentStores | undefined,
  runsBeside: boolean,
  tlsCryptV2Keys: () => TlsCryptV2KeyStore,
): VpnEndpoint {
  if (!stores)
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `openvpn:${endpoint.name} is "servedBy": "agent" in VPN_ENDPOINTS, so it is reached only through the table (DynamoDB), and this runs without the table. Run it where the database is configured (TABLE_NAME, DYNAMODB_ENDPOINT), or remove "servedBy" if the bot itself reaches ${endpoint.management} and ${endpoint.crlFile}.`,
    );
  return new AgentServedEndpoint({
    name: endpoint.name,
    remote: endpoint.remote,
    caPem: ca.certPem,
    tlsCrypt: endpoint.tlsCryptKeyFile !== undefined,
    // The file is on the VPN host; whoever issues reads the stored copy `vpnctl endpoint tls-crypt-v2 import` made.
    tlsCryptV2Keys: endpoint.tlsCryptV2ServerKeyFile === undefined ? undefined : tlsCryptV2Keys(),
    distribution: stores.crlDistribution,
    kills: stores.sessionKills,
    registry: stores.agents,
    clock: systemClock,
    runsBeside,
  });
}

/** The configured endpoints, or in local mode the local one. */
function configuredEndpoints(config: Config): EndpointConfig[] {
  if (config.VPN_ENDPOINTS.length > 0) return config.VPN_ENDPOINTS;
  return isLocalMode(config) ? [localEndpointConfig(config)] : [];
}

export function endpointsFor(config: Config, ca: CertificateAuthority, wiring: EndpointWiring = {}): VpnEndpoint[] {
  const configured = configuredEndpoints(config);
  const local = config.VPN_ENDPOINTS.length === 0 && configured.length > 0;
  if (local) ensureLocalTlsCryptKey(localEndpointConfig(config));
  let keys = wiring.tlsCryptV2Keys;
  const tlsCryptV2Keys = () => (keys ??= tlsCryptV2KeysFor(config));
  return configured.map((endpoint) =>
    endpoint.type === 'aws-client-vpn'
      ? new AwsClientVpnEndpoint({ id: endpoint.id, region: endpoint.region })
      : endpoint.servedBy === 'agent'
        ? agentServed(endpoint, ca, wiring.agent, wiring.runsBeside === endpoint.name, tlsCryptV2Keys)
        : new OpenVpnEndpoint({ ...endpoint, caPem: ca.certPem, shared: () => wiring.management?.get(endpoint.name) }),
  );
}

/** Each endpoint's connection log; one without a log configured says how to configure it when read. */
export function connectionLogsFor(config: Config, agent?: Pick<AgentStores, 'shippedLog'>): ConnectionLogSource[] {
  return configuredEndpoints(config).map((endpoint): ConnectionLogSource => {
    if (endpoint.type === 'aws-client-vpn') {
      return endpoint.logGroup
        ? new CloudWatchConnectionLog({
            endpointId: endpoint.id,
            region: endpoint.region,
            logGroup: endpoint.logGroup,
            logStream: endpoint.logStream,
          })
        : unconfiguredLog(
            `aws-client-vpn:${endpoint.id}`,
            'add "logGroup" (the CloudWatch Logs group its connection logging writes to) to this endpoint in VPN_ENDPOINTS',
          );
    }
    if (endpoint.servedBy === 'agent')
      return agent
        ? new ShippedConnectionLog({ name: endpoint.name, shipped: agent.shippedLog })
        : unconfiguredLog(
            `openvpn:${endpoint.name}`,
            'it is "servedBy": "agent", so its log is what the agent ships to the table, and this runs without the table: run it where the database is configured (TABLE_NAME, DYNAMODB_ENDPOINT)',
          );
    return endpoint.logFile
      ? new OpenVpnConnectionLog({ name: endpoint.name, logFile: endpoint.logFile })
      : unconfiguredLog(
          `openvpn:${endpoint.name}`,
          'add "logFile" (the file the server writes with --log-append) to this endpoint in VPN_ENDPOINTS',
        );
  });
}

/** Each AWS endpoint's AuthenticationFailures (self-hosted OpenVPN has no such metric: its log has every failure). */
export function failureMetricsFor(config: Config): FailureMetricsSource[] {
  return config.VPN_ENDPOINTS.flatMap((endpoint) =>
    endpoint.type === 'aws-client-vpn'
      ? [
          new CloudWatchFailureMetrics({
            endpointId: endpoint.id,
            region: endpoint.region,
            client: cloudWatchMetricReader(endpoint.region),
          }),
        ]
      : [],
  );
}

const unconfiguredLog = (endpoint: string, fix: string): ConnectionLogSource => ({
  endpoint,
  read: () =>
    Promise.reject(new VpnChatopsError('INVALID_CONFIG', `${endpoint}: no connection log is configured: ${fix}.`)),
});
