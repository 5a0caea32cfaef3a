import type { Database } from '../adapters/dynamodb/client';
import { storesFor } from '../adapters/dynamodb/stores';
import { approvalPolicy } from '../adapters/aws-client-vpn/connect-handler';
import { OpenVpnConnectBridge } from '../adapters/openvpn/connect-bridge';
import type { ManagementClient } from '../adapters/openvpn/management';
import type { Config } from '../config';
import { effectiveStatus } from '../domain/certificate';
import { logError } from '../log';
import { systemClock } from '../ports';
import { DecideDeps, decideConnection } from '../services/decide-connection';
import { SlackApprovalNotifier } from '../slack/approval-notifier';
import { adminAlertsFor } from '../slack/admin-alert';
import { slackClient } from '../slack/client';

/**
 * Every login on the local OpenVPN server goes through the same decision as on AWS: the certificate
 * gate, then a DM to its owner and a 👍. The bridge holds the server's one management connection,
 * which the endpoint adapter shares for session kills.
 */
export function startApprovalBridge(config: Config, db: Database, management: ManagementClient, endpointId: string): OpenVpnConnectBridge {
  const stores = storesFor(db);
  const client = slackClient(config);
  const deps: DecideDeps = {
    ...stores,
    notifier: new SlackApprovalNotifier(client, adminAlertsFor(config, client, logError)),
    clock: systemClock,
    policy: approvalPolicy(config),
  };
  const bridge = new OpenVpnConnectBridge({
    management,
    endpointId,
    decide: (request) => decideConnection(deps, request),
    reauth: async (commonName) => {
      const record = await stores.certificates.byActiveCn(commonName);
      return record !== undefined && effectiveStatus(record, systemClock.now()) === 'active';
    },
    log: logError,
  });
  bridge.start();
  return bridge;
}
