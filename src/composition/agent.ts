import { readFileSync } from 'node:fs';
import { agentStoresFor } from '../adapters/dynamodb/agent-stores';
import { hostname } from 'node:os';
import type { Database } from '../adapters/dynamodb/client';
import { storesFor } from '../adapters/dynamodb/stores';
import { OpenVpnConnectionLog } from '../adapters/openvpn/connection-log';
import { OpenVpnEndpoint } from '../adapters/openvpn/endpoint';
import { OpenVpnHandshakeProbe } from '../adapters/openvpn/handshake-probe';
import { SlackWebProbe } from '../adapters/slack-web/probe';
import { Agent, AgentOptions, AgentStores } from '../agent/agent';
import type { EndpointSetup } from '../agent/served-endpoint';
import type { Config, EndpointConfig } from '../config';
import { effectiveStatus } from '../domain/certificate';
import { VpnChatopsError, messageOf } from '../domain/errors';
import { logError, logWarning } from '../log';
import { CaCertificate, loadCaCertificate } from '../pki/ca';
import { type AgentLog, systemClock } from '../ports';
import { decideConnection } from '../services/decide-connection';
import { SlackAlertSink } from '../slack/alerts';
import { adminAlertsFor } from '../slack/admin-alert';
import { slackClient } from '../slack/client';
import { decideDeps } from './connect-handler';
import { openDatabase } from './database';
import { packageVersion } from '../version';

type OpenVpnConfig = Extract<EndpointConfig, { type: 'openvpn' }>;
/** An endpoint the agent serves; `whenDown` is the fix its health names when the server does not answer. */
export type ServedConfig = OpenVpnConfig & { whenDown?: string };

/** The agent's own ports on the table. */
export type AgentTableStores = Pick<
  AgentStores,
  'crlDistribution' | 'sessionKills' | 'agentRegistry' | 'endpointLease' | 'shippedLog'
>;

export interface AgentSettings {
  /** `--endpoint`: serve only these (by name); every `openvpn` endpoint in VPN_ENDPOINTS otherwise. */
  only?: string[];
  agentId?: string;
  log?: AgentLog;
  intervalsMs?: AgentOptions['intervalsMs'];
  reconnectBackoffMs?: readonly number[];
}

/** Lines on the terminal or in journald, one JSON object each, like the rest of the bot's. */
export const consoleAgentLog: AgentLog = {
  info: (message) => console.log(JSON.stringify({ level: 'info', message })),
  warn: (message) => logWarning(message),
  error: (message, error) => logError(message, error),
};

/** The `openvpn` endpoints this agent serves; a name that is not one of them is a mistake, said at once. */
export function servedEndpoints(config: Config, only: string[] = []): OpenVpnConfig[] {
  const openvpn = config.VPN_ENDPOINTS.filter((endpoint): endpoint is OpenVpnConfig => endpoint.type === 'openvpn');
  const unknown = only.filter((name) => !openvpn.some((endpoint) => endpoint.name === name));
  if (unknown.length > 0)
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `--endpoint ${unknown.join(', ')}: not an "openvpn" endpoint in VPN_ENDPOINTS (there: ${openvpn.map((endpoint) => endpoint.name).join(', ') || 'none'}).`,
    );
  const served = only.length > 0 ? openvpn.filter((endpoint) => only.includes(endpoint.name)) : openvpn;
  if (served.length === 0)
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      'VPN_ENDPOINTS has no "openvpn" endpoint for the agent to serve: add the server(s) on this host.',
    );
  return served;
}

/** Stable across restarts, so a restarted agent takes its own lease back at once: the host and what it serves. */
export function defaultAgentId(endpoints: OpenVpnConfig[]): string {
  return `${hostname()}:${endpoints
    .map((endpoint) => endpoint.name)
    .sort()
    .join('+')}`;
}

export function readCaCertificate(config: Config): CaCertificate {
  const file = config.CA_CERT_FILE;
  if (file === undefined)
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      "CA_CERT_FILE is not set: point it at the CA certificate (the file the server's --ca option names); the agent checks every CRL against it.",
    );
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new VpnChatopsError('INVALID_CONFIG', `Cannot read CA_CERT_FILE ${file}: ${messageOf(error)}.`, {
      cause: error,
    });
  }
  return loadCaCertificate(pem);
}

function endpointSetup(endpoint: ServedConfig, ca: CaCertificate): EndpointSetup {
  return {
    key: `openvpn:${endpoint.name}`,
    management: endpoint.management,
    managementPasswordFile: endpoint.managementPasswordFile,
    endpoint: (shared) => new OpenVpnEndpoint({ ...endpoint, caPem: ca.certPem, shared }),
    ...(endpoint.logFile && { log: new OpenVpnConnectionLog({ name: endpoint.name, logFile: endpoint.logFile }) }),
  };
}

/** What the agent serves and verifies CRLs with: checked before anything is opened, so a mistake stops it at once. */
export interface AgentPlan {
  endpoints: ServedConfig[];
  ca: CaCertificate;
}

export function planAgent(config: Config, only?: string[]): AgentPlan {
  return { endpoints: servedEndpoints(config, only), ca: readCaCertificate(config) };
}

/**
 * `vpnctl agent`'s wiring: the local OpenVPN adapters for each served endpoint, the same login decision
 * as the AWS connect handler, admin alerts in Slack, and the table the bot shares.
 */
export function createAgent(
  config: Config,
  db: Database,
  table: AgentTableStores,
  settings: AgentSettings = {},
  plan: AgentPlan = planAgent(config, settings.only),
): Agent {
  const { endpoints, ca } = plan;
  const log = settings.log ?? consoleAgentLog;
  const stores = storesFor(db);
  const deps = decideDeps(config, db);
  return new Agent({
    agentId: settings.agentId ?? defaultAgentId(endpoints),
    host: hostname(),
    version: packageVersion(),
    endpoints: endpoints.map((endpoint) => endpointSetup(endpoint, ca)),
    stores: { ...table, certificates: stores.certificates, audit: stores.audit },
    ca,
    approvals: {
      decide: (request) => decideConnection(deps, request),
      reauth: async (commonName) => {
        const record = await deps.certificates.byActiveCn(commonName);
        return record !== undefined && effectiveStatus(record, systemClock.now()) === 'active';
      },
    },
    alerts: new SlackAlertSink(
      adminAlertsFor(config, slackClient(config), (message, error) => log.error(message, error)),
    ),
    clock: systemClock,
    log,
    handshake: new OpenVpnHandshakeProbe(),
    // Doctor's reference too, so the agent's skew and the bot's are measured against one clock.
    time: config.SLACK_BOT_TOKEN
      ? new SlackWebProbe({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL })
      : undefined,
    intervalsMs: settings.intervalsMs,
    reconnectBackoffMs: settings.reconnectBackoffMs,
  });
}

/** The agent's ports on the table. */
export function agentTableStoresFor(db: Database): AgentTableStores {
  const { crlDistribution, sessionKills, agents, agentLease, shippedLog } = agentStoresFor(db);
  return { crlDistribution, sessionKills, agentRegistry: agents, endpointLease: agentLease, shippedLog };
}

/** Open the table and build the agent on it; `close` stops the agent and releases what was opened. */
export async function openAgent(
  config: Config,
  settings: AgentSettings = {},
): Promise<{ agent: Agent; close(): Promise<void> }> {
  const plan = planAgent(config, settings.only);
  const { db, local } = await openDatabase(config);
  try {
    const agent = createAgent(config, db, agentTableStoresFor(db), settings, plan);
    return {
      agent,
      async close() {
        await agent.stop();
        db.doc.destroy();
        await local?.stop();
      },
    };
  } catch (error) {
    db.doc.destroy();
    await local?.stop();
    throw error;
  }
}
