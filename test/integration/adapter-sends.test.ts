import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentTableGrant, agentTableGrants } from '../../infra/agent-role';
import { AGENT_CALLS } from '../../infra/operations';
import { CONNECT_READS, CONNECT_WRITES } from '../../infra/permissions';
import { DynamoDbAccessRequestStore } from '../../src/adapters/dynamodb/access-request-store';
import { DynamoDbGrantStore } from '../../src/adapters/dynamodb/grant-store';
import { DynamoDbAgentRegistry } from '../../src/adapters/dynamodb/agent-registry';
import { DynamoDbApprovalStore } from '../../src/adapters/dynamodb/approval-store';
import { DynamoDbAuditLog } from '../../src/adapters/dynamodb/audit-log';
import { DynamoDbCertificateStore } from '../../src/adapters/dynamodb/certificate-store';
import type { Database } from '../../src/adapters/dynamodb/client';
import { DynamoDbCrlDistribution } from '../../src/adapters/dynamodb/crl-distribution';
import { DynamoDbCrlStateStore } from '../../src/adapters/dynamodb/crl-state-store';
import { DynamoDbEndpointLease } from '../../src/adapters/dynamodb/endpoint-lease';
import { DynamoDbIdempotencyStore } from '../../src/adapters/dynamodb/idempotency-store';
import { DynamoDbLoginReader } from '../../src/adapters/dynamodb/login-reader';
import { DynamoDbFloodStateStore } from '../../src/adapters/dynamodb/flood-state-store';
import { DynamoDbReconcileProgressStore } from '../../src/adapters/dynamodb/reconcile-progress-store';
import { DynamoDbProbe } from '../../src/adapters/dynamodb/probe';
import { DynamoDbSessionKillQueue } from '../../src/adapters/dynamodb/session-kill-queue';
import { DynamoDbShippedLog } from '../../src/adapters/dynamodb/shipped-log';
import {
  ACCESS_REQUEST_STORE_SENDS,
  AGENT_REGISTRY_SENDS,
  APPROVAL_STORE_SENDS,
  AUDIT_LOG_SENDS,
  CA_STORE_SENDS,
  CERTIFICATE_STORE_SENDS,
  CLIENT_VPN_ENDPOINT_SENDS,
  CONNECTION_LOG_SENDS,
  FAILURE_METRICS_SENDS,
  CRL_DISTRIBUTION_SENDS,
  CRL_STATE_STORE_SENDS,
  DATABASE_PROBE_SENDS,
  ENDPOINT_LEASE_SENDS,
  GRANT_STORE_SENDS,
  FLOOD_STATE_STORE_SENDS,
  RECONCILE_PROGRESS_STORE_SENDS,
  IDEMPOTENCY_STORE_SENDS,
  LOGIN_READER_SENDS,
  JOB_QUEUE_SENDS,
  SESSION_KILL_QUEUE_SENDS,
  SHIPPED_LOG_SENDS,
  SLACK_SECRET_SENDS,
  TLS_CRYPT_V2_KEYS_SENDS,
} from '../../src/adapters/sends';
import type { Approval } from '../../src/domain/approval';
import { buildCrl } from '../../src/pki/crl';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';
import { certificateRecord as record } from '../helpers/records';

const DAY = 86_400_000;
type SendsMap = Record<string, readonly string[]>;

type Request = { Key?: Record<string, unknown>; Item?: Record<string, unknown> };

/** A key attribute as the request carries it: plain, or marshalled ({ S: … }). */
const keyText = (value: unknown) =>
  typeof value === 'string' ? value : String((value as { S?: string } | undefined)?.S ?? '(none)');

/**
 * The IAM action a DynamoDB request needs, with the partition it touches (what `dynamodb:LeadingKeys`
 * sees; `index:` when a query runs on an index); a transaction needs one per item it contains.
 */
function dynamoActions(commandName: string, input: unknown): { action: string; partition: string }[] {
  const operation = commandName.replace(/Command$/, '');
  const partitionOf = (request: Request) => keyText((request.Key ?? request.Item)?.pk);
  if (operation === 'TransactWriteItems') {
    const items = (input as { TransactItems: Record<string, Request>[] }).TransactItems;
    const names: Record<string, string> = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
    };
    return items.flatMap((item) =>
      Object.entries(item).map(([kind, request]) => ({
        action: `dynamodb:${names[kind]}`,
        partition: partitionOf(request),
      })),
    );
  }
  if (operation === 'BatchGetItem') {
    const tables = Object.values((input as { RequestItems: Record<string, { Keys: Request['Key'][] }> }).RequestItems);
    return tables.flatMap(({ Keys }) =>
      Keys.map((key) => ({ action: 'dynamodb:BatchGetItem', partition: partitionOf({ Key: key }) })),
    );
  }
  if (operation === 'Query' || operation === 'BatchWriteItem') {
    const query = input as { IndexName?: string; ExpressionAttributeValues?: Record<string, unknown> };
    const partition = query.IndexName ? `index:${query.IndexName}` : keyText(query.ExpressionAttributeValues?.[':pk']);
    return [{ action: `dynamodb:${operation}`, partition }];
  }
  return [{ action: `dynamodb:${operation}`, partition: partitionOf(input as Request) }];
}

/** IAM's StringLike: `*` and `?` wildcards, case-sensitive. */
const like = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/**
 * Every request the client sends, filed under the store method (the outermost one) that sent it. The
 * middleware sits on the low-level client, so what it sees is what DynamoDB (and IAM) sees.
 */
function recorder(db: Database) {
  const sent = new Map<string, Set<string>>();
  const touched = new Map<string, Set<string>>();
  let current: string | undefined;
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const method = current ?? '(outside a store method)';
      const bucket = sent.get(method) ?? new Set<string>();
      const partitions = touched.get(method) ?? new Set<string>();
      for (const { action, partition } of dynamoActions(context.commandName ?? '', args.input)) {
        bucket.add(action);
        partitions.add(`${action} ${partition}`);
      }
      sent.set(method, bucket);
      touched.set(method, partitions);
      return next(args);
    },
    { step: 'initialize', name: 'recordSends' },
  );
  const watch = <T extends object>(store: T, prefix: string): T =>
    new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return async (...args: unknown[]) => {
          const outer = current === undefined;
          if (outer) current = `${prefix}.${property}`;
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(receiver, args);
          } finally {
            if (outer) current = undefined;
          }
        };
      },
    });
  return { sent, touched, watch };
}

function approval(id: string, serial: string): Approval {
  const now = new Date();
  return {
    id,
    status: 'PENDING',
    slackId: 'U0JANE',
    cn: 'jane.laptop-U0JANE.vpn.test',
    serial,
    request: {
      connectionId: `cvpn-connection-${id}`,
      endpointId: 'cvpn-endpoint-0123456789abcdef0',
      commonName: 'jane.laptop-U0JANE.vpn.test',
      publicIp: '203.0.113.7',
      platform: 'macos',
      platformVersion: '14',
      clientVersion: '5.0',
    },
    requestedAt: now,
    deadline: new Date(now.getTime() + 60_000),
  };
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'what the DynamoDB stores send, on DynamoDB Local',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let sent: Map<string, Set<string>>;
    let touched: Map<string, Set<string>>;
    afterAll(() => db?.drop());

    beforeAll(async () => {
      db = await testDatabase();
      const recording = recorder(db);
      sent = recording.sent;
      touched = recording.touched;
      const certificates = recording.watch(new DynamoDbCertificateStore(db), 'certificates');
      const crlState = recording.watch(new DynamoDbCrlStateStore(db), 'crlState');
      const approvals = recording.watch(new DynamoDbApprovalStore(db), 'approvals');
      const audit = recording.watch(new DynamoDbAuditLog(db), 'audit');
      const idempotency = recording.watch(new DynamoDbIdempotencyStore(db), 'idempotency');
      const probe = recording.watch(new DynamoDbProbe(db), 'probe');
      const now = new Date();

      const first = record();
      await certificates.create(first);
      // The same CN again: the store reads the claim and its holder before refusing.
      await expect(certificates.create(record())).rejects.toThrow(/already has an active certificate/);
      const imported = [
        record({ cn: 'old-U0OLD.vpn.test', slackId: 'U0OLD', source: 'easyrsa' }),
        record({
          cn: 'gone-U0GONE.vpn.test',
          slackId: 'U0GONE',
          status: 'revoked',
          revokedAt: now,
          reason: 'keyCompromise',
          source: 'crl',
        }),
      ];
      expect(await certificates.importMany(imported)).toBe(2);
      expect((await certificates.get(first.serial))?.cn).toBe(first.cn);
      expect(await certificates.byUser('U0JANE')).toHaveLength(1);
      expect((await certificates.byActiveCn(first.cn))?.serial).toBe(first.serial);
      expect((await certificates.list()).length).toBeGreaterThanOrEqual(3);
      expect((await certificates.page({ limit: 1, now })).next).toBeDefined();
      expect((await certificates.counts(now)).active).toBeGreaterThanOrEqual(2);
      expect(await certificates.markReplaced(imported[0].serial, first.serial, now)).toBe(true);
      expect(await certificates.setSuspended(imported[0].serial, true)).toBe(true);
      expect(await certificates.expiring(now, new Date(now.getTime() + 400 * DAY))).not.toHaveLength(0);
      expect(
        (await certificates.markRevoked(first.serial, { revokedAt: now, reason: 'superseded', actor: 'U0ADMIN' }))
          ?.status,
      ).toBe('revoked');
      expect((await certificates.revocationsForCrl(now)).map((r) => r.serial)).toContain(first.serial);

      expect(await crlState.nextCrlNumber('ca1')).toBe(1n);
      expect(await crlState.currentCrlNumber('ca1')).toBe(1n);
      expect(await crlState.requestPublish('ep1', [first.serial])).toBeGreaterThan(0);
      expect(await crlState.getEndpoint('ep1')).toBeDefined();
      expect(await crlState.listEndpoints()).toHaveLength(1);
      expect(await crlState.acquireLease('ep1', 'me', 60_000)).toBe(true);
      expect(await crlState.renewLease('ep1', 'me', 60_000)).toBe(true);
      await crlState.releaseLease('ep1', 'me');
      expect(
        await crlState.recordPublished('ep1', {
          caId: 'ca1',
          served: 1,
          crlNumber: 1n,
          thisUpdate: now,
          nextUpdate: new Date(now.getTime() + DAY),
          entries: 1,
          at: now,
          listed: [first.serial],
        }),
      ).toBe(true);
      await crlState.recordFailure('ep1', 'test', now);
      await crlState.recordAlerted('ep1', [14]);

      await approvals.create(approval('a1', imported[0].serial));
      await approvals.create(approval('a2', imported[0].serial));
      expect((await approvals.get('a1'))?.status).toBe('PENDING');
      expect((await approvals.peek('a2'))?.id).toBe('a2');
      expect(await approvals.pending(now)).toHaveLength(2);
      expect(await approvals.unclosed(new Date(now.getTime() + DAY))).toHaveLength(2);
      await approvals.attachMessage('a1', 'D0JANE', '1700000000.000100');
      expect(
        await approvals.decideByMessage('D0JANE', '1700000000.000100', 'U0JANE', 'APPROVED', new Date()),
      ).toMatchObject({ status: 'APPROVED' });
      expect(await approvals.decide('a2', 'DENIED', 'U0JANE', new Date())).toBe(true);
      await approvals.remember(first.serial, '203.0.113.7', { from: now, until: new Date(now.getTime() + DAY) });
      expect(await approvals.isRemembered(first.serial, '203.0.113.7', now)).toBe(true);
      const logins = recording.watch(new DynamoDbLoginReader(db), 'logins');
      expect(await logins.read(imported[0].cn, '203.0.113.7', now)).toMatchObject({
        certificate: { serial: imported[0].serial },
        remembered: false,
        coolingDown: false,
      });
      expect(await logins.confirm('a1', imported[0].cn, imported[0].serial)).toMatchObject({
        approval: { id: 'a1', status: 'APPROVED' },
        certificate: { serial: imported[0].serial },
      });
      expect(await approvals.claimPrompt('U0JANE', now, 3, 600_000)).toBe(true);
      await approvals.coolDown(imported[0].serial, new Date(now.getTime() + DAY));
      expect(await approvals.isCoolingDown(imported[0].serial, now)).toBe(true);
      expect(await approvals.recent('U0JANE', 5)).toHaveLength(2);

      await audit.append({ actor: 'U0ADMIN', action: 'certificate.revoke', target: first.serial, outcome: 'success' });
      expect(await audit.query({})).toHaveLength(1);
      expect(await idempotency.claim('k1', 60)).toBe(true);
      await idempotency.release('k1');
      await probe.probe();
      const floods = recording.watch(new DynamoDbFloodStateStore(db), 'floodState');
      const flood = { endpoint: 'openvpn:x', version: 1, active: true, sources: [], ratePerHour: 1, failingNames: [] };
      expect(await floods.save({ ...flood, alertedAt: now })).toBe(true);
      expect((await floods.get('openvpn:x'))?.version).toBe(1);
      const reconcile = recording.watch(new DynamoDbReconcileProgressStore(db), 'reconcileProgress');
      await reconcile.savePage({ startedAt: now, cursor: 'next', pages: 1 }, ['U0JANE']);
      expect([...(await reconcile.listed(now))]).toEqual(['U0JANE']);
      await reconcile.save({ startedAt: now, pages: 1, finishedAt: now });
      expect((await reconcile.load())?.finishedAt).toEqual(now);

      const crls = recording.watch(new DynamoDbCrlDistribution(db), 'crlDistribution');
      const kills = recording.watch(new DynamoDbSessionKillQueue(db), 'sessionKills');
      const agents = recording.watch(new DynamoDbAgentRegistry(db), 'agents');
      const lease = recording.watch(new DynamoDbEndpointLease(db), 'agentLease');
      const shipped = recording.watch(new DynamoDbShippedLog(db), 'shippedLog');
      const grants = recording.watch(new DynamoDbGrantStore(db), 'grants');
      const requests = recording.watch(new DynamoDbAccessRequestStore(db), 'accessRequests');
      await grants.put({
        slackId: 'U0JANE',
        grantedBy: 'U0ADMIN',
        grantedAt: now,
        until: new Date(now.getTime() + DAY),
      });
      expect(await grants.active('U0JANE', now)).toBeDefined();
      expect(await grants.end('U0JANE')).toBe(true);
      expect(await grants.active('U0JANE', now)).toBeUndefined();
      const request = (id: string, createdAt: Date) => ({
        id,
        requester: 'U0JANE',
        hours: 8,
        reason: 'on call',
        state: 'pending' as const,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + DAY),
      });
      await requests.create(request('r1', now));
      await requests.create(request('r2', new Date(now.getTime() - 2 * DAY)));
      await requests.attachMessage('r1', 'C0ADMINS', '1700000000.000200');
      expect(await requests.pending(now)).toHaveLength(1);
      expect(await requests.lapsed(now)).toHaveLength(1);
      expect(await requests.latest('U0JANE')).toBeDefined();
      const approved = await requests.decide('r1', { state: 'approved', by: 'U0ADMIN', at: now, hours: 8 });
      expect(approved?.state).toBe('approved');
      expect(await requests.reopen(approved!)).toBe(true);
      expect(await requests.pending(now)).toHaveLength(1);
      expect((await requests.expire('r2', now))?.state).toBe('expired');
      expect((await requests.get('r2'))?.state).toBe('expired');
      const endpoint = 'openvpn:office';
      const ca = await testCa();
      const crl = (number: bigint) => ({ number, pem: buildCrl({ ca, number, revocations: [] }).pem });
      expect(await crls.publish(endpoint, crl(1n), now)).toBe(true);
      // A second CRL gives the first one's chunks their expiry; an older one again is refused after reading the newest.
      expect(await crls.publish(endpoint, crl(2n), now)).toBe(true);
      expect(await crls.publish(endpoint, crl(1n), now)).toBe(false);
      expect((await crls.newest(endpoint))?.number).toBe('2');
      expect((await crls.get(endpoint))?.number).toBe('2');
      await crls.reportApplied(endpoint, { number: '2', sha256: 'f'.repeat(64), at: now, agentId: 'agent-1' });
      expect((await crls.applied(endpoint))?.number).toBe('2');

      const [kill, other] = await kills.request(
        endpoint,
        [{ connectionId: '1' }, { connectionId: '2' }],
        'U0ADMIN',
        now,
      );
      // The same session again: the store reads back the kill still pending for it.
      expect((await kills.request(endpoint, [{ connectionId: '1' }], 'U0ADMIN', now))[0].id).toBe(kill.id);
      expect(await kills.pending(endpoint)).toHaveLength(2);
      await kills.failed(other, 'no such client', now);
      await kills.settle(kill, { state: 'done' }, now);
      expect((await kills.get(endpoint, [kill.id]))[0].state).toBe('done');

      const report = { endpoint, health: { ok: true, detail: 'up' }, sessions: [] };
      await agents.beat({ agentId: 'agent-1', host: 'vpn1', version: '1', at: now, endpoints: [report] });
      expect(await agents.list()).toHaveLength(1);
      expect((await agents.serving(endpoint))?.agentId).toBe('agent-1');
      expect(await agents.markSilent('agent-1', true)).toBe(true);
      expect(await agents.markAlerted(`endpoint#${endpoint}`, true)).toBe(true);

      expect(await lease.acquire(endpoint, 'agent-1', 60_000)).toBe(true);
      await lease.release(endpoint, 'agent-1');

      const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
      await shipped.ship(endpoint, hour, { attempts: [], events: 0, malformed: 0, ignored: 0 });
      expect((await shipped.read(endpoint, hour, new Date(hour.getTime() + 3_600_000))).attempts).toEqual([]);
    });

    it.each([
      ['certificates', CERTIFICATE_STORE_SENDS],
      ['crlState', CRL_STATE_STORE_SENDS],
      ['approvals', APPROVAL_STORE_SENDS],
      ['logins', LOGIN_READER_SENDS],
      ['audit', AUDIT_LOG_SENDS],
      ['idempotency', IDEMPOTENCY_STORE_SENDS],
      ['probe', DATABASE_PROBE_SENDS],
      ['floodState', FLOOD_STATE_STORE_SENDS],
      ['reconcileProgress', RECONCILE_PROGRESS_STORE_SENDS],
      ['crlDistribution', CRL_DISTRIBUTION_SENDS],
      ['sessionKills', SESSION_KILL_QUEUE_SENDS],
      ['agents', AGENT_REGISTRY_SENDS],
      ['agentLease', ENDPOINT_LEASE_SENDS],
      ['shippedLog', SHIPPED_LOG_SENDS],
      ['grants', GRANT_STORE_SENDS],
      ['accessRequests', ACCESS_REQUEST_STORE_SENDS],
    ] as [string, SendsMap][])(
      '%s: every method was exercised, and sent nothing its SENDS entry does not name',
      (prefix, sends) => {
        for (const method of Object.keys(sends)) {
          const actual = [...(sent.get(`${prefix}.${method}`) ?? [])].sort();
          expect([`${prefix}.${method}`, actual.length > 0]).toEqual([`${prefix}.${method}`, true]);
          expect([`${prefix}.${method}`, actual.filter((action) => !sends[method].includes(action))]).toEqual([
            `${prefix}.${method}`,
            [],
          ]);
        }
      },
    );

    /** The agent's calls, each request with the partition it touched; they served the endpoint openvpn:office. */
    const agentRequests = () => {
      const calls = Object.entries(AGENT_CALLS).flatMap(([store, methods]) =>
        methods.map((method: string) => `${store}.${method}`),
      );
      expect(calls.filter((call) => !touched.has(call))).toEqual([]);
      return calls.flatMap((call) =>
        [...touched.get(call)!].map((request) => {
          const [action, partition] = request.split(' ');
          return { call, action, partition };
        }),
      );
    };
    const refusedBy = (grants: AgentTableGrant[], requests: ReturnType<typeof agentRequests>) =>
      requests.filter(
        ({ action, partition }) =>
          !grants.some((grant) => grant.action === action && grant.keys.some((pattern) => like(pattern, partition))),
      );

    it("the agent's role grants each of its calls on the partitions it touches, and its own partitions no further (infra/agent-role.ts)", () => {
      const requests = agentRequests();
      expect(refusedBy(agentTableGrants(['openvpn:office', 'openvpn:lab']), requests)).toEqual([]);
      // The login decision's partitions are the connect handler's grant, shared as it is; the agent's own are each used.
      const unused = agentTableGrants(['openvpn:office']).flatMap(({ action, keys }) =>
        keys
          .filter((pattern) => !CONNECT_READS.includes(pattern) && !CONNECT_WRITES.includes(pattern))
          .filter(
            (pattern) => !requests.some((request) => request.action === action && like(pattern, request.partition)),
          )
          .map((pattern) => `${action} ${pattern}`),
      );
      expect(unused).toEqual([]);
    });

    it("a role for other endpoints refuses every call on openvpn:office's own partitions, and only those", () => {
      const requests = agentRequests();
      const own = requests.filter(({ partition }) => partition.endsWith('#openvpn:office'));
      expect(new Set(own.map(({ partition }) => partition.split('#')[0]))).toEqual(
        new Set(['AGENT-CRL', 'KILLS', 'AGENT-ENDPOINT', 'SHIPPED']),
      );
      expect(refusedBy(agentTableGrants(['openvpn:lab', 'openvpn:office-2']), requests)).toEqual(own);
    });

    it("no agent role may write the alert flags the scheduler keeps: a VPN host cannot silence another's alert", () => {
      const flags = [...touched.get('agents.markAlerted')!].map((request) => {
        const [action, partition] = request.split(' ');
        return { call: 'agents.markAlerted', action, partition };
      });
      expect(flags.length).toBeGreaterThan(0);
      expect(refusedBy(agentTableGrants(['openvpn:office', 'openvpn:lab']), flags)).toEqual(flags);
    });

    it('files every request under a store method', () => {
      expect(sent.get('(outside a store method)')).toBeUndefined();
    });
  },
);

/**
 * The other adapters' requests, read from their source: every `new <Operation>Command(` must be named in
 * that adapter's SENDS. (Their behaviour is tested against moto where moto implements the call, and against
 * aws-sdk-client-mock for EC2 Client VPN, which no emulator implements.)
 */
describe('what the other AWS adapters send, read from their source', () => {
  const ROOT = join(__dirname, '../../src/adapters');
  it.each([
    ['secrets-manager/ca-store.ts', 'secretsmanager', CA_STORE_SENDS],
    ['secrets-manager/slack-secret.ts', 'secretsmanager', SLACK_SECRET_SENDS],
    ['secrets-manager/tls-crypt-v2-keys.ts', 'secretsmanager', TLS_CRYPT_V2_KEYS_SENDS],
    ['cloudwatch-logs/connection-log.ts', 'logs', CONNECTION_LOG_SENDS],
    ['cloudwatch-metrics/client.ts', 'cloudwatch', FAILURE_METRICS_SENDS],
    ['aws-lambda/job-queue.ts', 'lambda', JOB_QUEUE_SENDS],
    ['aws-client-vpn/endpoint.ts', undefined, CLIENT_VPN_ENDPOINT_SENDS],
  ] as [string, string | undefined, SendsMap][])('%s', (file, service, sends) => {
    const source = readFileSync(join(ROOT, file), 'utf8');
    const named = new Set(Object.values(sends).flat());
    const operations = [...source.matchAll(/new (\w+)Command\(/g)].map((match) => match[1]);
    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) {
      // Lambda's Invoke API is authorized as lambda:InvokeFunction; the endpoint's calls span EC2 and ACM.
      const action =
        service === 'lambda' && operation === 'Invoke'
          ? 'lambda:InvokeFunction'
          : service
            ? `${service}:${operation}`
            : [...named].find((name) => name.endsWith(`:${operation}`));
      expect([operation, action && named.has(action)]).toEqual([operation, true]);
    }
  });
});
