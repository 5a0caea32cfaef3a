import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbApprovalStore } from '../../src/adapters/dynamodb/approval-store';
import { DynamoDbAuditLog } from '../../src/adapters/dynamodb/audit-log';
import { DynamoDbCertificateStore } from '../../src/adapters/dynamodb/certificate-store';
import type { Database } from '../../src/adapters/dynamodb/client';
import { DynamoDbCrlStateStore } from '../../src/adapters/dynamodb/crl-state-store';
import { DynamoDbIdempotencyStore } from '../../src/adapters/dynamodb/idempotency-store';
import { DynamoDbProbe } from '../../src/adapters/dynamodb/probe';
import {
  APPROVAL_STORE_SENDS,
  AUDIT_LOG_SENDS,
  CA_STORE_SENDS,
  CERTIFICATE_STORE_SENDS,
  CLIENT_VPN_ENDPOINT_SENDS,
  CONNECTION_LOG_SENDS,
  CRL_STATE_STORE_SENDS,
  DATABASE_PROBE_SENDS,
  IDEMPOTENCY_STORE_SENDS,
  JOB_QUEUE_SENDS,
  SLACK_SECRET_SENDS,
} from '../../src/adapters/sends';
import type { Approval } from '../../src/domain/approval';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';
import { certificateRecord as record } from '../helpers/records';

const DAY = 86_400_000;
type SendsMap = Record<string, readonly string[]>;

/** The IAM action a DynamoDB request needs; a transaction needs one per item it contains. */
function dynamoActions(commandName: string, input: unknown): string[] {
  const operation = commandName.replace(/Command$/, '');
  if (operation === 'TransactWriteItems') {
    const items = (input as { TransactItems: Record<string, unknown>[] }).TransactItems;
    const names: Record<string, string> = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
    };
    return items.flatMap((item) => Object.keys(item).map((kind) => `dynamodb:${names[kind]}`));
  }
  return [`dynamodb:${operation}`];
}

/**
 * Every request the client sends, filed under the store method (the outermost one) that sent it. The
 * middleware sits on the low-level client, so what it sees is what DynamoDB (and IAM) sees.
 */
function recorder(db: Database) {
  const sent = new Map<string, Set<string>>();
  let current: string | undefined;
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const actions = dynamoActions(context.commandName ?? '', args.input);
      const bucket = sent.get(current ?? '(outside a store method)') ?? new Set<string>();
      for (const action of actions) bucket.add(action);
      sent.set(current ?? '(outside a store method)', bucket);
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
  return { sent, watch };
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
    afterAll(() => db?.drop());

    beforeAll(async () => {
      db = await testDatabase();
      const recording = recorder(db);
      sent = recording.sent;
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
      expect(await approvals.pending(now)).toHaveLength(2);
      expect(await approvals.unclosed(new Date(now.getTime() + DAY))).toHaveLength(2);
      await approvals.attachMessage('a1', 'D0JANE', '1700000000.000100');
      expect(
        await approvals.decideByMessage('D0JANE', '1700000000.000100', 'U0JANE', 'APPROVED', new Date()),
      ).toMatchObject({ status: 'APPROVED' });
      expect(await approvals.decide('a2', 'DENIED', 'U0JANE', new Date())).toBe(true);
      await approvals.remember(first.serial, '203.0.113.7', { from: now, until: new Date(now.getTime() + DAY) });
      expect(await approvals.isRemembered(first.serial, '203.0.113.7', now)).toBe(true);
      expect(await approvals.claimPrompt('U0JANE', now, 3, 600_000)).toBe(true);
      await approvals.coolDown(imported[0].serial, new Date(now.getTime() + DAY));
      expect(await approvals.isCoolingDown(imported[0].serial, now)).toBe(true);
      expect(await approvals.recent('U0JANE', 5)).toHaveLength(2);

      await audit.append({ actor: 'U0ADMIN', action: 'certificate.revoke', target: first.serial, outcome: 'success' });
      expect(await audit.query({})).toHaveLength(1);
      expect(await idempotency.claim('k1', 60)).toBe(true);
      await idempotency.release('k1');
      await probe.probe();
    });

    it.each([
      ['certificates', CERTIFICATE_STORE_SENDS],
      ['crlState', CRL_STATE_STORE_SENDS],
      ['approvals', APPROVAL_STORE_SENDS],
      ['audit', AUDIT_LOG_SENDS],
      ['idempotency', IDEMPOTENCY_STORE_SENDS],
      ['probe', DATABASE_PROBE_SENDS],
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
    ['cloudwatch-logs/connection-log.ts', 'logs', CONNECTION_LOG_SENDS],
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
