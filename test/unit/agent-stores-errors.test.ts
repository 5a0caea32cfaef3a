import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAgentRegistry } from '../../src/adapters/dynamodb/agent-registry';
import type { Database } from '../../src/adapters/dynamodb/client';
import { DynamoDbCrlDistribution } from '../../src/adapters/dynamodb/crl-distribution';
import { DynamoDbEndpointLease } from '../../src/adapters/dynamodb/endpoint-lease';
import { DynamoDbSessionKillQueue } from '../../src/adapters/dynamodb/session-kill-queue';
import { DynamoDbShippedLog } from '../../src/adapters/dynamodb/shipped-log';
import { buildCrl } from '../../src/pki/crl';
import { testCa } from '../helpers/ca';
import { rejectionOf } from '../helpers/errors';

/** A table that answers every request with a throttling error, as DynamoDB does when it is overloaded. */
function throttled(): { db: Database; sent: string[] } {
  const sent: string[] = [];
  const send = (command: { constructor: { name: string } }) => {
    sent.push(command.constructor.name);
    return Promise.reject(
      Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
        name: 'ProvisionedThroughputExceededException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
  };
  return { db: { doc: { send } as unknown as DynamoDBDocumentClient, tableName: 't', where: 'table vpn' }, sent };
}

describe('agent stores when DynamoDB fails', () => {
  const at = new Date('2026-12-04T10:00:00Z');
  const kill = {
    id: 'k',
    endpoint: 'openvpn:a',
    connectionId: '7',
    requestedBy: 'U0A',
    requestedAt: at,
    state: 'pending' as const,
    attempts: 0,
  };

  it('surfaces every failure as STORE_UNAVAILABLE, naming the table and the cause', async () => {
    const { db, sent } = throttled();
    const crls = new DynamoDbCrlDistribution(db);
    const kills = new DynamoDbSessionKillQueue(db);
    const agents = new DynamoDbAgentRegistry(db);
    const lease = new DynamoDbEndpointLease(db);
    const log = new DynamoDbShippedLog(db);
    const pem = buildCrl({ ca: await testCa(), number: 2n, revocations: [] }).pem;
    const calls: Promise<unknown>[] = [
      crls.publish('openvpn:a', { number: 2n, pem }, at),
      crls.get('openvpn:a'),
      crls.get('openvpn:a', 2n),
      crls.reportApplied('openvpn:a', { number: '2', sha256: 'x', at, agentId: 'a' }),
      crls.applied('openvpn:a'),
      kills.request('openvpn:a', [{ connectionId: '7' }], 'U0A', at),
      kills.pending('openvpn:a'),
      kills.get('openvpn:a', ['k']),
      kills.settle(kill, { state: 'done' }, at),
      kills.failed(kill, 'refused', at),
      agents.beat({ agentId: 'a', host: 'h', version: '1', at, endpoints: [] }),
      agents.list(),
      agents.serving('openvpn:a'),
      agents.markSilent('a', true),
      agents.markAlerted('endpoint#openvpn:a', true),
      lease.acquire('openvpn:a', 'a', 30_000),
      lease.release('openvpn:a', 'a'),
      log.ship('openvpn:a', at, { attempts: [], events: 0, malformed: 0, ignored: 0 }),
      log.read('openvpn:a', at, new Date(at.getTime() + 3_600_000)),
    ];
    for (const call of calls) {
      const error = await rejectionOf(call);
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toBe(
        'DynamoDB table vpn refused the request (ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput.); nothing was changed.',
      );
    }
    // A publish is one transaction, never a first chunk written without the rest.
    expect(sent[0]).toBe('TransactWriteCommand');
  });

  it('refuses bad input before writing anything', async () => {
    const { db, sent } = throttled();
    const crls = new DynamoDbCrlDistribution(db);
    expect(await rejectionOf(crls.publish('openvpn:a', { number: 0n, pem: 'x' }, at))).toMatchObject({
      code: 'CRL_NUMBER',
    });
    expect(await rejectionOf(crls.publish('openvpn:a', { number: 1n, pem: 'crl ✓' }, at))).toMatchObject({
      code: 'INVALID_CRL',
    });
    expect(
      await rejectionOf(new DynamoDbSessionKillQueue(db).request('openvpn:a', [{ connectionId: '' }], 'U0A', at)),
    ).toMatchObject({ code: 'STATE' });
    expect(await rejectionOf(new DynamoDbEndpointLease(db).acquire('openvpn:a', 'a', 0))).toMatchObject({
      code: 'STATE',
    });
    expect(sent).toEqual([]);
  });
});
