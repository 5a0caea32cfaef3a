import type { Database } from '../adapters/dynamodb/client';
import { decideDeps } from '../composition/connect-handler';
import { OpenVpnConnectBridge } from '../adapters/openvpn/connect-bridge';
import type { ManagementClient } from '../adapters/openvpn/management';
import type { Config } from '../config';
import { effectiveStatus } from '../domain/certificate';
import { logError } from '../log';
import { systemClock } from '../ports';
import { decideConnection } from '../services/decide-connection';

/**
 * Every login on the local OpenVPN server goes through the same decision as on AWS: the certificate
 * gate, then a DM to its owner and a 👍. The bridge holds the server's one management connection,
 * which the endpoint adapter shares for session kills.
 */
export function startApprovalBridge(
  config: Config,
  db: Database,
  management: ManagementClient,
  endpointId: string,
): OpenVpnConnectBridge {
  const deps = decideDeps(config, db);
  const bridge = new OpenVpnConnectBridge({
    management,
    endpointId,
    decide: (request) => decideConnection(deps, request),
    reauth: async (commonName) => {
      const record = await deps.certificates.byActiveCn(commonName);
      return record !== undefined && effectiveStatus(record, systemClock.now()) === 'active';
    },
    log: logError,
  });
  bridge.start();
  return bridge;
}
