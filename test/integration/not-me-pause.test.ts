import { randomUUID } from 'node:crypto';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import type { Approval } from '../../src/domain/approval';
import { encodeCn } from '../../src/domain/cn';
import { RecordDecisionDeps, recordAnswer } from '../../src/services/record-decision';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const DAY_MS = 86_400_000;

/**
 * "Not me" pauses the certificate before anything else can fail: in the Slack function every database
 * call gives up 2.2 s into the request (src/slack/lambda.ts), so a slow Slack call or audit write after
 * the decision must not leave a DENIED login whose certificate still lets its holder back in.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  '"Not me" pauses the certificate whatever fails after the decision',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;

    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(async () => {
      await db?.drop();
    });

    async function openLogin(slackId: string): Promise<{ approval: Approval; deps: RecordDecisionDeps }> {
      const stores = storesFor(db);
      const serial = randomUUID().replace(/-/g, '').toUpperCase();
      const cn = encodeCn({
        displayName: 'Mallory Target',
        slackId,
        domain: 'vpn.test',
        device: 'laptop',
        tag: 'abcde',
      });
      const now = new Date();
      await stores.certificates.create({
        serial,
        cn,
        slackId,
        device: 'laptop',
        status: 'active',
        issuedAt: now,
        notBefore: now,
        notAfter: new Date(now.getTime() + DAY_MS),
        source: 'issued',
        issuedBy: 'test',
      });
      const approval: Approval = {
        id: randomUUID(),
        status: 'PENDING',
        slackId,
        cn,
        serial,
        request: {
          connectionId: 'c1',
          endpointId: 'e1',
          commonName: cn,
          publicIp: '203.0.113.9',
          platform: 'mac',
          platformVersion: '14',
          clientVersion: '2.6.14',
        },
        requestedAt: now,
        deadline: new Date(now.getTime() + 25_000),
      };
      await stores.approvals.create(approval);
      await stores.approvals.attachMessage(approval.id, `D${slackId}`, '1700000000.000100');
      const deps: RecordDecisionDeps = {
        ...stores,
        clock: { now: () => new Date() },
        notifier: { alertAdmins: async () => undefined, settle: async () => undefined },
        policy: { coolDownMs: 600_000 },
      };
      return { approval, deps };
    }

    it('is paused and cooling down even when the audit write after the decision fails', async () => {
      const { approval, deps } = await openLogin('U0TARGET1');
      const failingAudit = {
        ...deps,
        audit: { ...deps.audit, append: async () => Promise.reject(new Error('DynamoDB did not answer in time')) },
      };
      await expect(
        recordAnswer(failingAudit, { approvalId: approval.id, user: 'U0TARGET1', answer: 'not-me' }),
      ).rejects.toThrow(/did not answer/);
      expect((await deps.approvals.get(approval.id))?.status).toBe('DENIED');
      expect((await deps.certificates.get(approval.serial))?.status).toBe('suspended');
      expect(await deps.approvals.isCoolingDown(approval.serial, new Date())).toBe(true);
    });

    it('a second click finishes a "Not me" whose pause failed after the decision was written', async () => {
      const { approval, deps } = await openLogin('U0TARGET2');
      const failingPause = {
        ...deps,
        certificates: {
          ...deps.certificates,
          setSuspended: async () => Promise.reject(new Error('DynamoDB did not answer in time')),
        },
      };
      await expect(
        recordAnswer(failingPause, { approvalId: approval.id, user: 'U0TARGET2', answer: 'not-me' }),
      ).rejects.toThrow(/did not answer/);
      expect((await deps.approvals.get(approval.id))?.status).toBe('DENIED');
      expect((await deps.certificates.get(approval.serial))?.status).toBe('active');

      expect(await recordAnswer(deps, { approvalId: approval.id, user: 'U0TARGET2', answer: 'not-me' })).toBe('denied');
      expect((await deps.certificates.get(approval.serial))?.status).toBe('suspended');
      // Someone else's click on the same approval still changes nothing.
      expect(await recordAnswer(deps, { approvalId: approval.id, user: 'U0OTHER', answer: 'not-me' })).toBe('ignored');
    });
  },
);
