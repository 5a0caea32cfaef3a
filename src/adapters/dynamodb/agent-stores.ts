import { DynamoDbAgentRegistry } from './agent-registry';
import type { Database } from './client';
import { DynamoDbCrlDistribution } from './crl-distribution';
import { DynamoDbEndpointLease } from './endpoint-lease';
import { DynamoDbSessionKillQueue } from './session-kill-queue';
import { DynamoDbShippedLog } from './shipped-log';

/**
 * The table between the bot and `vpnctl agent`, apart from `storesFor`: the connect handler and the Slack
 * function need none of it, and the CRL distribution would bring the PKI and node-forge into their bundles.
 */
export function agentStoresFor(db: Database) {
  return {
    crlDistribution: new DynamoDbCrlDistribution(db),
    sessionKills: new DynamoDbSessionKillQueue(db),
    agents: new DynamoDbAgentRegistry(db),
    agentLease: new DynamoDbEndpointLease(db),
    shippedLog: new DynamoDbShippedLog(db),
  };
}
