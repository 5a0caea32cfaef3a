import { randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import type { Approval, ApprovalStatus } from '../../src/domain/approval';
import { encodeCn } from '../../src/domain/cn';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { DynamoDbSlackBudget } from '../../src/adapters/dynamodb/slack-budget';
import type { SlackBudget } from '../../src/ports';
import { DEFAULT_POLICY, decideConnection } from '../../src/services/decide-connection';
import { SlackApprovalNotifier } from '../../src/slack/approval-notifier';
import { settlePrompt } from '../../src/slack/jobs/settle-prompt';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const DAY_MS = 86_400_000;

/** A budget with room for the methods listed, and none for the rest; it records what it was asked. */
function budget(room: string[]): SlackBudget & { asked: string[] } {
  const asked: string[] = [];
  return { asked, take: async (method) => (asked.push(method), room.includes(method)) };
}

/** An approval of U0PACE's laptop, due in 25 s unless `fields` say otherwise. */
function paceApproval(fields: Partial<Approval>): Approval {
  return {
    id: randomUUID(),
    status: 'PENDING',
    slackId: 'U0PACE',
    cn: 'pace.laptop-U0PACE.vpn.test',
    serial: 'AB12',
    request: { connectionId: randomUUID(), endpointId: 'e1', commonName: 'pace', publicIp: '203.0.113.41' },
    requestedAt: new Date(),
    deadline: new Date(Date.now() + 25_000),
    ...fields,
  } as Approval;
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'approval DMs paced through the shared Slack budget',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let slack: SlackStandIn;
    let client: WebClient;
    const alerts = { send: async () => undefined };

    beforeAll(async () => {
      [db, slack] = await Promise.all([
        testDatabase(),
        startSlackStandIn({ users: [{ id: 'U0PACE', name: 'pace', real_name: 'Pace' }], usergroups: {} }),
      ]);
      client = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    });
    afterAll(async () => {
      await Promise.all([db?.drop(), slack?.stop()]);
    });

    it('a prompt with no room under the limit before its deadline is not posted, and the login fails closed', async () => {
      const cn = encodeCn({
        displayName: 'Pace',
        slackId: 'U0PACE',
        domain: 'vpn.test',
        device: 'laptop',
        tag: 'abcde',
      });
      const now = new Date();
      const stores = storesFor(db);
      await stores.certificates.create({
        serial: randomUUID().replace(/-/g, '').toUpperCase(),
        cn,
        slackId: 'U0PACE',
        device: 'laptop',
        status: 'active',
        issuedAt: now,
        notBefore: now,
        notAfter: new Date(now.getTime() + DAY_MS),
        source: 'issued',
        issuedBy: 'test',
      });
      const full = budget([]);
      const posted = slack.callsTo('chat.postMessage').length;
      const decision = await decideConnection(
        {
          ...stores,
          clock: { now: () => new Date() },
          policy: { ...DEFAULT_POLICY, certDomain: 'vpn.test', timeoutMs: 2_000, closingMs: 1_000 },
          notifier: new SlackApprovalNotifier(client, alerts as never, undefined, { budget: full }),
        },
        {
          connectionId: 'c1',
          endpointId: 'e1',
          commonName: cn,
          publicIp: '203.0.113.40',
          platform: 'mac',
          platformVersion: '14',
          clientVersion: '2.6.14',
        },
      );
      expect(decision).toMatchObject({ allow: false, reason: 'error' });
      expect(decision.message).toMatch(/could not send your login request to Slack/);
      expect(full.asked).toEqual(['chat.postMessage']);
      expect(slack.callsTo('chat.postMessage').length).toBe(posted);
    });

    it('a prompt whose whole window is shorter than the 5 s it wants left (APPROVAL_TIMEOUT_S=4) is posted when there is room', async () => {
      // The budget reads its clock a few milliseconds after the notifier did, as it does under load.
      const later = new DynamoDbSlackBudget(db, 'B0PACE', { 'chat.postMessage': 300 }, undefined, () => Date.now() + 5);
      const bot = new SlackApprovalNotifier(client, alerts as never, undefined, { budget: later });
      const posted = slack.callsTo('chat.postMessage').length;
      const approval = paceApproval({ status: 'PENDING', deadline: new Date(Date.now() + 4_000) });
      await expect(bot.prompt(approval)).resolves.toMatchObject({ ts: expect.any(String) });
      expect(slack.callsTo('chat.postMessage').length).toBe(posted + 1);
    });

    it('a prompt of the usual 25 s window reached with only 3 s left is not posted: nobody could answer it in time', async () => {
      const room = new DynamoDbSlackBudget(db, 'B0LATE', { 'chat.postMessage': 300 });
      const bot = new SlackApprovalNotifier(client, alerts as never, undefined, { budget: room });
      const posted = slack.callsTo('chat.postMessage').length;
      const late = paceApproval({ requestedAt: new Date(Date.now() - 22_000), deadline: new Date(Date.now() + 3_000) });
      await expect(bot.prompt(late)).rejects.toThrow(/no room for this login's prompt in time/);
      expect(slack.callsTo('chat.postMessage').length).toBe(posted);
    });

    it('a decided prompt with no room now goes to the worker, which rewrites it once there is room: none is lost', async () => {
      const posted = await client.chat.postMessage({ channel: 'U0PACE', text: 'Approve this login?' });
      const approval = paceApproval({ status: 'APPROVED', channel: posted.channel, ts: posted.ts });
      const later: [string, ApprovalStatus][] = [];
      const bot = new SlackApprovalNotifier(client, alerts as never, undefined, {
        budget: budget([]),
        later: async (deferred, status) => void later.push([deferred.id, status]),
      });
      const updates = slack.callsTo('chat.update').length;
      await bot.settle(approval, 'APPROVED');
      expect(later).toEqual([[approval.id, 'APPROVED']]);
      expect(slack.callsTo('chat.update').length).toBe(updates);

      const worker = new SlackApprovalNotifier(client, alerts as never, undefined, { budget: budget(['chat.update']) });
      await settlePrompt(
        { approvals: { get: async () => approval } as never, prompts: worker },
        { type: 'settle-prompt', approvalId: approval.id, status: 'APPROVED' },
      );
      expect(slack.callsTo('chat.update').at(-1)?.args).toMatchObject({ channel: posted.channel, ts: posted.ts });
    });
  },
);
