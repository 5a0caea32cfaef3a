import { Database, connectDatabase } from '../../src/adapters/dynamodb/client';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { createConnectHandler, decideDeps } from '../../src/composition/connect-handler';
import { loadConfig } from '../../src/config';
import type { Approval, ConnectRequest } from '../../src/domain/approval';
import type { CertificateRecord } from '../../src/domain/certificate';
import { encodeCn } from '../../src/domain/cn';
import type { ApprovalNotifier } from '../../src/ports';
import { DecideDeps, decideConnection } from '../../src/services/decide-connection';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { certificateRecord } from '../helpers/records';
import { botEnv } from '../helpers/slack';
import { describeWith, tempDir } from '../helpers/tools';

const HOUR_MS = 3_600_000;
const IP = '203.0.113.70';

/**
 * After an AWS CRL import every member reconnects at once, most with a remembered approval: each of those logins
 * must cost at most three DynamoDB requests, through the connect handler's own wiring, and refuse what it refused.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'a remembered login: three DynamoDB requests, every rule still applied',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let dir: ReturnType<typeof tempDir>;
    let sent: string[];
    let asked: Approval[];
    const stores = () => storesFor(db);

    beforeAll(async () => {
      db = await testDatabase();
      dir = tempDir('remembered-login');
      sent = [];
      db.doc.middlewareStack.add(
        (next, context) => async (args) => {
          sent.push(context.commandName ?? 'Unknown');
          return next(args);
        },
        { step: 'finalizeRequest', name: 'countRequests' },
      );
    });
    afterAll(async () => {
      await db?.drop();
      dir?.remove();
    });

    /** The connect handler's wiring, with a notifier that records the prompt instead of posting it. */
    function connectDeps(overrides: Record<string, string> = {}, database: Database = db): DecideDeps {
      const config = loadConfig(
        botEnv({ token: 'xoxb-unused', apiUrl: 'http://127.0.0.1:9/api/' }, db.tableName, dir.path, {
          VPN_ENDPOINTS: '[]',
          AWS_REGION: 'us-east-1',
          ...overrides,
        }),
      );
      const notifier: ApprovalNotifier = {
        prompt: async (approval) => {
          asked.push(approval);
          throw new Error('no Slack in this test: a prompt means the login was not remembered');
        },
        settle: async () => undefined,
        alertAdmins: async () => undefined,
      };
      const deps = decideDeps(config, database);
      return { ...deps, notifier, within: (deadline) => ({ ...deps.within!(deadline), notifier }) };
    }

    let members = 0;
    async function enrol(overrides: Partial<CertificateRecord> = {}): Promise<CertificateRecord> {
      const slackId = `U0WARM${++members}`;
      const record = certificateRecord({
        cn: encodeCn({ displayName: `Member ${members}`, slackId, domain: 'vpn.test' }),
        slackId,
        device: undefined,
        ...overrides,
      });
      await stores().certificates.create(record);
      return record;
    }
    const rememberFor = (record: CertificateRecord, from = new Date(Date.now() - HOUR_MS), publicIp = IP) =>
      stores().approvals.remember(record.serial, publicIp, { from, until: new Date(Date.now() + 8 * HOUR_MS) });
    const login = (record: CertificateRecord, publicIp = IP): ConnectRequest => ({
      connectionId: `cvpn-connection-${members}`,
      endpointId: 'cvpn-endpoint-0123456789abcdef0',
      commonName: record.cn,
      publicIp,
      platform: 'mac',
      platformVersion: '14.5',
      clientVersion: '2.6.14',
    });
    async function decide(deps: DecideDeps, request: ConnectRequest) {
      sent = [];
      asked = [];
      const decision = await decideConnection(deps, request);
      return { decision, requests: [...sent].sort(), prompted: asked.length > 0 };
    }

    it('lets a remembered login in with one GetItem, one BatchGetItem and the audit PutItem', async () => {
      const member = await enrol();
      await rememberFor(member);
      expect(await decide(connectDeps(), login(member))).toEqual({
        decision: { allow: true, reason: 'remembered', message: '' },
        requests: ['BatchGetItemCommand', 'GetItemCommand', 'PutItemCommand'],
        prompted: false,
      });
    });

    it('binds the remembered approval to the certificate (serial) and the IP', async () => {
      const member = await enrol();
      const other = await enrol();
      await rememberFor(member);
      await rememberFor(other, undefined, '198.51.100.70');
      expect(await decide(connectDeps(), login(member, '198.51.100.70'))).toMatchObject({
        decision: { allow: false, reason: 'error' },
        prompted: true,
      });
      expect(await decide(connectDeps(), login(other))).toMatchObject({ prompted: true });
    });

    it('refuses a revoked, paused or expired certificate whatever is remembered', async () => {
      const revoked = await enrol();
      await rememberFor(revoked);
      await stores().certificates.markRevoked(revoked.serial, {
        revokedAt: new Date(),
        reason: 'keyCompromise',
        actor: 'U0ADMIN',
      });
      const paused = await enrol();
      await rememberFor(paused);
      await stores().certificates.setSuspended(paused.serial, true);
      const expired = await enrol({ notAfter: new Date(Date.now() - 1_000) });
      await rememberFor(expired);
      const refusals = [];
      for (const record of [revoked, paused, expired]) refusals.push(await decide(connectDeps(), login(record)));
      expect(refusals.map(({ decision, prompted }) => [decision.allow, decision.reason, prompted])).toEqual([
        [false, 'unknown-certificate', false],
        [false, 'suspended', false],
        [false, 'expired', false],
      ]);
    });

    it('forgets what was remembered before a "Not me" pause once the certificate is re-enabled', async () => {
      const member = await enrol();
      await rememberFor(member);
      await stores().certificates.setSuspended(member.serial, true);
      await stores().certificates.setSuspended(member.serial, false);
      expect(await decide(connectDeps(), login(member))).toMatchObject({ prompted: true });
    });

    it('remembers nothing when remembering is off, and the emergency switch still refuses a revoked certificate', async () => {
      const member = await enrol();
      await rememberFor(member);
      expect(await decide(connectDeps({ REMEMBER_HOURS: '0' }), login(member))).toMatchObject({ prompted: true });
      const revoked = await enrol();
      await stores().certificates.markRevoked(revoked.serial, {
        revokedAt: new Date(),
        reason: 'superseded',
        actor: 'U0ADMIN',
      });
      const off = connectDeps({ APPROVALS: 'off' });
      expect((await decide(off, login(member))).decision).toMatchObject({ allow: true, reason: 'approvals-off' });
      expect((await decide(off, login(revoked))).decision).toMatchObject({ allow: false });
    });

    it('reads the Slack credentials only for a login that must prompt, and again after they failed', async () => {
      const member = await enrol();
      await rememberFor(member);
      const config = loadConfig(
        botEnv({ token: 'xoxb-unused', apiUrl: 'http://127.0.0.1:9/api/' }, db.tableName, dir.path, {
          VPN_ENDPOINTS: '[]',
          AWS_REGION: 'us-east-1',
        }),
      );
      let secretReads = 0;
      const handler = createConnectHandler(
        () => config,
        async () => {
          secretReads++;
          throw new Error('Secrets Manager is unreachable');
        },
      );
      const event = (publicIp: string) => ({
        'connection-id': `cvpn-connection-${publicIp}`,
        'endpoint-id': 'cvpn-endpoint-0123456789abcdef0',
        'common-name': member.cn,
        'public-ip': publicIp,
        'schema-version': 'v2',
      });
      expect(await handler(event(IP))).toMatchObject({ allow: true });
      expect(secretReads).toBe(0);
      const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        for (const ip of ['198.51.100.71', '198.51.100.72'])
          expect(await handler(event(ip))).toMatchObject({
            allow: false,
            'error-msg-on-denied-connection': expect.stringMatching(/could not send your login request to Slack/),
          });
        expect(spy.mock.calls.map(([line]) => String(line))).toContainEqual(
          expect.stringMatching(/could not load its Slack credentials/),
        );
      } finally {
        spy.mockRestore();
      }
      expect(secretReads).toBe(2);
    });

    it('fails closed when DynamoDB does not answer', async () => {
      const member = await enrol();
      await rememberFor(member);
      const down = connectDatabase({ tableName: db.tableName, endpoint: 'http://127.0.0.1:9' });
      const { decision } = await decide(connectDeps({}, down), login(member));
      down.doc.destroy();
      expect(decision).toMatchObject({ allow: false, reason: 'error' });
    });
  },
);
