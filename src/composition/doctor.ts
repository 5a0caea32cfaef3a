import type { Database } from '../adapters/dynamodb/client';
import { agentStoresFor } from '../adapters/dynamodb/agent-stores';
import { DynamoDbProbe } from '../adapters/dynamodb/probe';
import { storesFor } from '../adapters/dynamodb/stores';
import { SlackWebProbe } from '../adapters/slack-web/probe';
import { OpenVpnHandshakeProbe } from '../adapters/openvpn/handshake-probe';
import { BOT_SCOPES } from '../adapters/slack-web/scopes';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import type { CertificateAuthority } from '../pki/ca';
import { Clock, systemClock } from '../ports';
import { Check, DoctorDeps, DoctorProbes, runDoctor } from '../services/doctor';
import { loadCaFrom } from '../state';
import { caStoreFor } from './ca-store';
import { doctorPolicy } from '../services/vpn-admin';
import { endpointsFor, failureMetricsFor } from './endpoints';

export function doctorProbes(config: Config, db: Database): DoctorProbes {
  const slack = config.SLACK_BOT_TOKEN
    ? new SlackWebProbe({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL })
    : undefined;
  return {
    database: new DynamoDbProbe(db),
    slack,
    time: slack,
    requiredScopes: BOT_SCOPES,
    handshake: new OpenVpnHandshakeProbe(),
  };
}

/**
 * `doctor` straight from configuration, for vpnctl: it runs without a usable CA too (and says so),
 * because that is when it is needed most.
 */
export async function diagnose(config: Config, db: Database, clock: Clock = systemClock): Promise<Check[]> {
  const stores = { ...storesFor(db), ...agentStoresFor(db) };
  const base: Omit<DoctorDeps, 'ca' | 'caError' | 'endpoints'> = {
    crlState: stores.crlState,
    agents: stores.agents,
    failureMetrics: failureMetricsFor(config),
    clock,
    policy: doctorPolicy(config),
    ...doctorProbes(config, db),
  };
  let ca: CertificateAuthority;
  try {
    ca = await loadCaFrom(caStoreFor(config));
  } catch (error) {
    if (!(error instanceof VpnChatopsError)) throw error;
    return runDoctor({ ...base, caError: error, endpoints: [] });
  }
  return runDoctor({ ...base, ca, endpoints: endpointsFor(config, ca, { agent: stores }) });
}
