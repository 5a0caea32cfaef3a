import { connectDatabase } from '../../src/adapters/dynamodb/client';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { decideDeps } from '../../src/composition/connect-handler';
import { loadConfig } from '../../src/config';
import type { Approval, ConnectRequest } from '../../src/domain/approval';
import type { CertificateRecord } from '../../src/domain/certificate';
import { encodeCn } from '../../src/domain/cn';
import type { ApprovalNotifier, ApprovalStore, LoginReader } from '../../src/ports';
import { DecideDeps, decideConnection } from '../../src/services/decide-connection';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { certificateRecord } from '../helpers/records';
import { botEnv } from '../helpers/slack';
import { describeWith, tempDir } from '../helpers/tools';

const MINUTE_MS = 60_000;
const IP = '203.0.113.80';
/** Room for a few polls and the deadline's own steps, in a test's time. */
const SHORT = { timeoutMs: 1_500, closingMs: 1_000 };

/**
 * In a reconnect storm on DynamoDB Local every request waits its turn, so each one a prompted login sends before its
 * answer adds to everyone's wait. Counted through the connect handler's wiring, with the owner's 👍 given through
 * a client of their own (uncounted) before the first poll, so the count does not depend on timing.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  "a prompted login's DynamoDB requests before its answer, every rule still applied",
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let owner: ReturnType<typeof storesFor> & { close(): void };
    let dir: ReturnType<typeof tempDir>;
    let sent: string[];

    beforeAll(async () => {
      db = await testDatabase();
      const ownerDb = connectDatabase({ tableName: db.tableName, endpoint: DYNAMODB_ENDPOINT });
      owner = { ...storesFor(ownerDb), close: () => ownerDb.doc.destroy() };
      dir = tempDir('prompted-login-requests');
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
      owner?.close();
      await db?.drop();
      dir?.remove();
    });

    /** The connect handler's wiring; the prompt is not posted, `answer` stands for the owner meanwhile. */
    function connectDeps(answer: (approval: Approval) => Promise<void>): DecideDeps {
      const config = loadConfig(
        botEnv({ token: 'xoxb-unused', apiUrl: 'http://127.0.0.1:9/api/' }, db.tableName, dir.path, {
          VPN_ENDPOINTS: '[]',
          AWS_REGION: 'us-east-1',
        }),
      );
      let messages = 0;
      const notifier: ApprovalNotifier = {
        prompt: async (approval) => {
          await answer(approval);
          return { channel: `D${approval.slackId}`, ts: `1700000000.${String(++messages).padStart(6, '0')}` };
        },
        settle: async () => undefined,
        alertAdmins: async () => undefined,
      };
      const deps = decideDeps(config, db);
      return { ...deps, notifier, within: (deadline) => ({ ...deps.within!(deadline), notifier }) };
    }

    /** `deps` with its approval store's and login reader's methods replaced, bounded by the deadline or not. */
    function replacing(
      deps: DecideDeps,
      approvals: Partial<ApprovalStore>,
      logins: Partial<LoginReader> = {},
      where: 'everywhere' | 'within' = 'everywhere',
    ): DecideDeps {
      const swap = (parts: Pick<DecideDeps, 'approvals' | 'logins'>) => ({
        approvals: Object.assign(Object.create(parts.approvals) as ApprovalStore, approvals),
        logins: Object.assign(Object.create(parts.logins!) as LoginReader, logins),
      });
      return {
        ...deps,
        ...(where === 'everywhere' && swap(deps)),
        within: (deadline) => {
          const bounded = deps.within!(deadline);
          return { ...bounded, ...swap(bounded) };
        },
      };
    }

    let members = 0;
    async function enrol(): Promise<CertificateRecord> {
      const slackId = `U0PROMPT${++members}`;
      const record = certificateRecord({
        cn: encodeCn({ displayName: `Member ${members}`, slackId, domain: 'vpn.test' }),
        slackId,
        device: undefined,
      });
      await owner.certificates.create(record);
      return record;
    }
    const login = (record: CertificateRecord): ConnectRequest => ({
      connectionId: `cvpn-connection-${members}`,
      endpointId: 'cvpn-endpoint-0123456789abcdef0',
      commonName: record.cn,
      publicIp: IP,
      platform: 'mac',
      platformVersion: '14.5',
      clientVersion: '2.6.14',
    });
    const approve = (approval: Approval) =>
      owner.approvals.decide(approval.id, 'APPROVED', approval.slackId, new Date()).then(() => undefined);
    const count = (name: string) => sent.filter((request) => request === name).length;

    async function decide(deps: DecideDeps, request: ConnectRequest) {
      sent = [];
      const decision = await decideConnection(deps, request);
      return { decision, requests: [...sent].sort() };
    }

    it('an approved login: 11 requests (14 before), the cooldown read with the certificate and the 👍 confirmed with it', async () => {
      const member = await enrol();
      expect(await decide(connectDeps(approve), login(member))).toEqual({
        decision: { allow: true, reason: 'approved', message: '' },
        requests: [
          // The login's read (certificate, remembered approval, cooldown) and the 👍's confirmation with the certificate.
          'BatchGetItemCommand',
          'BatchGetItemCommand',
          // The CN's claim, the prompt count, one poll.
          'GetItemCommand',
          'GetItemCommand',
          'GetItemCommand',
          // The prompt count, the approval, its message link, the remembered approval, the audit entry.
          'PutItemCommand',
          'PutItemCommand',
          'PutItemCommand',
          'PutItemCommand',
          'PutItemCommand',
          // The prompt's message on the approval.
          'UpdateItemCommand',
        ],
      });
    });

    it('refuses a login cooling down after "Not me" from the login\'s first two reads, without a prompt', async () => {
      const member = await enrol();
      await owner.approvals.coolDown(member.serial, new Date(Date.now() + 20 * MINUTE_MS));
      let prompted = false;
      const deps = connectDeps(async () => void (prompted = true));
      expect(await decide(deps, login(member))).toEqual({
        decision: expect.objectContaining({ allow: false, reason: 'cooling-down' }),
        requests: ['BatchGetItemCommand', 'GetItemCommand', 'PutItemCommand'],
      });
      expect(prompted).toBe(false);
    });

    it('refuses a 👍 for a certificate revoked, or paused, while the prompt was open, from the confirming read', async () => {
      const revoked = await enrol();
      const paused = await enrol();
      const refusals = [
        await decide(
          connectDeps(async (approval) => {
            await owner.certificates.markRevoked(revoked.serial, {
              revokedAt: new Date(),
              reason: 'keyCompromise',
              actor: 'U0ADMIN',
            });
            await approve(approval);
          }),
          login(revoked),
        ),
        await decide(
          connectDeps(async (approval) => {
            await owner.certificates.setSuspended(paused.serial, true);
            await approve(approval);
          }),
          login(paused),
        ),
      ];
      for (const { decision, requests } of refusals) {
        expect(decision).toMatchObject({ allow: false, reason: 'revoked' });
        // The certificate was read again only within the confirmation: no GetItem beyond the claim, count and poll.
        expect(requests.filter((request) => request === 'GetItemCommand')).toHaveLength(3);
        expect(requests.filter((request) => request === 'BatchGetItemCommand')).toHaveLength(2);
      }
    });

    it('a poll that shows a decision the table does not hold lets no one in: the confirmation reads PENDING', async () => {
      const member = await enrol();
      const deps = replacing(
        connectDeps(async () => undefined),
        {
          peek: async (id) => {
            const held = await owner.approvals.get(id);
            return held && { ...held, status: 'APPROVED' };
          },
        },
      );
      const { decision } = await decide({ ...deps, policy: { ...deps.policy, ...SHORT } }, login(member));
      expect(decision).toMatchObject({ allow: false, reason: 'timeout' });
      expect(count('BatchGetItemCommand')).toBeGreaterThan(1);
    });

    it('fails closed when the confirming read fails, though the owner said 👍', async () => {
      const member = await enrol();
      const deps = replacing(
        connectDeps(approve),
        {},
        {
          confirm: async () => {
            throw new Error('DynamoDB is throttling');
          },
        },
      );
      const { decision } = await decide({ ...deps, policy: { ...deps.policy, ...SHORT } }, login(member));
      expect(decision).toMatchObject({ allow: false, reason: 'error' });
    });

    it('a 👍 every poll missed is found at the deadline by the confirming read, and refused once the certificate is paused', async () => {
      const stale: Partial<ApprovalStore> = {
        peek: async (id) => {
          const held = await owner.approvals.get(id);
          return held && { ...held, status: 'PENDING' };
        },
      };
      const member = await enrol();
      const missing = replacing(connectDeps(approve), stale);
      const allowed = await decide({ ...missing, policy: { ...missing.policy, ...SHORT } }, login(member));
      expect(allowed.decision).toMatchObject({ allow: true, reason: 'approved' });
      expect(allowed.requests.filter((request) => request === 'BatchGetItemCommand')).toHaveLength(2);

      const paused = await enrol();
      const pausing = connectDeps(async (approval) => {
        await approve(approval);
        await owner.certificates.setSuspended(paused.serial, true);
      });
      const refused = await decide(
        { ...replacing(pausing, stale), policy: { ...pausing.policy, ...SHORT } },
        login(paused),
      );
      expect(refused.decision).toMatchObject({ allow: false, reason: 'revoked' });
      expect(refused.requests.filter((request) => request === 'BatchGetItemCommand')).toHaveLength(2);
    });

    it('a decision out of time closes with the same confirming read: a 👍 stands, not once its certificate is paused', async () => {
      // The bounded polls hang (a stalled database), so the answer comes from closing the open approval.
      const hanging = { peek: () => new Promise<never>(() => undefined) };
      const member = await enrol();
      const stalled = replacing(connectDeps(approve), hanging, {}, 'within');
      expect(await decide({ ...stalled, policy: { ...stalled.policy, ...SHORT } }, login(member))).toMatchObject({
        decision: { allow: true, reason: 'approved' },
      });
      expect(count('BatchGetItemCommand')).toBe(2);

      const paused = await enrol();
      const pausing = replacing(
        connectDeps(async (approval) => {
          await approve(approval);
          await owner.certificates.setSuspended(paused.serial, true);
        }),
        hanging,
        {},
        'within',
      );
      expect(await decide({ ...pausing, policy: { ...pausing.policy, ...SHORT } }, login(paused))).toMatchObject({
        decision: { allow: false, reason: 'revoked' },
      });
      expect(count('BatchGetItemCommand')).toBe(2);
    });
  },
);
