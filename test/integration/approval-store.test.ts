import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApprovalStore } from '../../src/adapters/dynamodb/approval-store';
import { connectDatabase } from '../../src/adapters/dynamodb/client';
import { Approval } from '../../src/domain/approval';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const MINUTE = 60_000;

function approval(overrides: Partial<Approval> = {}): Approval {
  const now = Date.now();
  return {
    id: randomUUID(),
    status: 'PENDING',
    slackId: 'U0JANE',
    cn: 'jane.laptop-U0JANE.vpn.test',
    serial: '4F2A9C',
    request: {
      connectionId: 'cvpn-connection-0abc',
      endpointId: 'cvpn-endpoint-0def',
      commonName: 'jane.laptop-U0JANE.vpn.test',
      publicIp: '203.0.113.7',
      platform: 'mac',
      platformVersion: '14.4',
      clientVersion: 'AWS VPN Client 3.12.0',
    },
    requestedAt: new Date(now),
    deadline: new Date(now + MINUTE),
    ...overrides,
  };
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'DynamoDB approval store on DynamoDB Local',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let approvals: DynamoDbApprovalStore;
    beforeAll(async () => {
      db = await testDatabase();
      approvals = new DynamoDbApprovalStore(db);
    });
    afterAll(() => db.drop());

    const raw = async (pk: string, sk: string) =>
      (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;

    it('round-trips every field of an approval, and refuses a second create with the same id', async () => {
      const full = approval({
        channel: 'D0JANE',
        ts: '1718000000.000100',
        decidedAt: new Date(Date.now() - 1000),
        decidedBy: 'U0JANE',
        status: 'DENIED',
      });
      await approvals.create(full);
      expect(await approvals.get(full.id)).toEqual(full);

      const minimal = approval();
      await approvals.create(minimal);
      expect(await approvals.get(minimal.id)).toEqual({
        ...minimal,
        channel: undefined,
        ts: undefined,
        decidedAt: undefined,
        decidedBy: undefined,
      });
      expect(await approvals.get('no-such-id')).toBeUndefined();
      await expect(approvals.create(minimal)).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    it('decides by the message carrying the prompt: only that message, only its owner, only while pending', async () => {
      const pending = approval();
      const at = new Date();
      await approvals.create(pending);
      // Posted but not yet linked: the caller is told so, and may look again.
      expect(await approvals.decideByMessage('D0JANE', '1718000000.000200', 'U0JANE', 'APPROVED', at)).toBe('unlinked');
      await approvals.attachMessage(pending.id, 'D0JANE', '1718000000.000200');
      expect(await approvals.decideByMessage('D0JANE', '1718000000.999999', 'U0JANE', 'APPROVED', at)).toBe('unlinked');

      // A re-sent prompt retires the older message.
      await approvals.attachMessage(pending.id, 'D0JANE', '1718000000.000300');
      expect(await approvals.decideByMessage('D0JANE', '1718000000.000200', 'U0JANE', 'APPROVED', at)).toBeUndefined();
      // Someone else's 👍 on the owner's prompt changes nothing.
      expect(await approvals.decideByMessage('D0JANE', '1718000000.000300', 'U0BOB', 'APPROVED', at)).toBeUndefined();
      expect((await approvals.get(pending.id))?.status).toBe('PENDING');
      // A 👍 after the deadline does not approve.
      expect(
        await approvals.decideByMessage(
          'D0JANE',
          '1718000000.000300',
          'U0JANE',
          'APPROVED',
          new Date(pending.deadline.getTime() + 1),
        ),
      ).toBeUndefined();

      const decided = await approvals.decideByMessage('D0JANE', '1718000000.000300', 'U0JANE', 'APPROVED', at);
      expect(decided).toEqual({
        ...pending,
        status: 'APPROVED',
        channel: 'D0JANE',
        ts: '1718000000.000300',
        decidedAt: at,
        decidedBy: 'U0JANE',
      });
      expect(await approvals.get(pending.id)).toEqual(decided);
      // Once decided, a second 👍 (a retry, a duplicate event) is harmless.
      expect(await approvals.decideByMessage('D0JANE', '1718000000.000300', 'U0JANE', 'APPROVED', at)).toBeUndefined();

      await expect(approvals.attachMessage('no-such-id', 'D0JANE', '1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await raw('APPROVAL#no-such-id', 'APPROVAL')).toBeUndefined();
    });

    it('decides exactly once when ten decisions race', async () => {
      const pending = approval();
      await approvals.create(pending);
      const at = new Date();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          approvals.decide(pending.id, i % 2 ? 'APPROVED' : 'DENIED', `U0R${i}`, at),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await approvals.get(pending.id)).toMatchObject({
        status: winner % 2 ? 'APPROVED' : 'DENIED',
        decidedBy: `U0R${winner}`,
        decidedAt: at,
      });
      expect(await approvals.decide('no-such-id', 'DENIED', 'U0JANE', at)).toBe(false);
    });

    it('refuses a late approval but lets the approval expire', async () => {
      const pending = approval();
      await approvals.create(pending);
      const late = new Date(pending.deadline.getTime() + 1);
      expect(await approvals.decide(pending.id, 'APPROVED', 'U0JANE', late)).toBe(false);
      expect((await approvals.get(pending.id))?.status).toBe('PENDING');
      expect(await approvals.decide(pending.id, 'EXPIRED', 'connect-handler', late)).toBe(true);
      expect(await approvals.get(pending.id)).toMatchObject({
        status: 'EXPIRED',
        decidedBy: 'connect-handler',
        decidedAt: late,
      });

      const onTime = approval();
      await approvals.create(onTime);
      expect(await approvals.decide(onTime.id, 'APPROVED', 'U0JANE', onTime.deadline)).toBe(true);
    });

    it('reads an undecided approval past its deadline as EXPIRED, though TTL has not removed it', async () => {
      const stale = approval({
        requestedAt: new Date(Date.now() - 2 * MINUTE),
        deadline: new Date(Date.now() - MINUTE),
      });
      await approvals.create(stale);
      expect((await approvals.get(stale.id))?.status).toBe('EXPIRED');
      expect((await raw(`APPROVAL#${stale.id}`, 'APPROVAL'))?.status).toBe('PENDING');

      const justDue = approval({ deadline: new Date(Date.now() - 1000) });
      await approvals.create(justDue);
      expect((await approvals.get(justDue.id))?.status).toBe('PENDING');
    });

    it('remembers a certificate from one public IP until the given time, by its own clock', async () => {
      const from = new Date();
      const until = new Date(from.getTime() + 8 * 60 * MINUTE);
      await approvals.remember('77JANE', '203.0.113.7', { from, until });
      expect(await approvals.isRemembered('77JANE', '203.0.113.7', new Date(until.getTime() - 1))).toBe(true);
      expect(await approvals.isRemembered('77JANE', '203.0.113.7', until)).toBe(false);
      expect(await approvals.isRemembered('77JANE', '198.51.100.9', new Date())).toBe(false);
      expect(await approvals.isRemembered('77BOB', '203.0.113.7', new Date())).toBe(false);
    });

    it('ends a remembered approval with a pause of its certificate after it was granted', async () => {
      const from = new Date();
      await approvals.remember('77PAUSED', '203.0.113.7', { from, until: new Date(from.getTime() + 60 * MINUTE) });
      expect(await approvals.isRemembered('77PAUSED', '203.0.113.7', new Date(), new Date(from.getTime() - 1))).toBe(
        true,
      );
      expect(await approvals.isRemembered('77PAUSED', '203.0.113.7', new Date(), from)).toBe(false);
      expect(await approvals.isRemembered('77PAUSED', '203.0.113.7', new Date(), new Date(from.getTime() + 1))).toBe(
        false,
      );
    });

    it('claims at most `limit` prompts per window even when twenty race, and again once the window has passed', async () => {
      const now = Date.now();
      const window = 10 * MINUTE;
      const burst = await Promise.all(
        Array.from({ length: 20 }, () => approvals.claimPrompt('U0BURST', new Date(now), 3, window)),
      );
      expect(burst.filter(Boolean)).toHaveLength(3);
      expect(await approvals.claimPrompt('U0BURST', new Date(now + window - 1), 3, window)).toBe(false);
      expect(await approvals.claimPrompt('U0OTHER', new Date(now), 3, window)).toBe(true);

      const later = await Promise.all(
        Array.from({ length: 20 }, () => approvals.claimPrompt('U0BURST', new Date(now + window), 3, window)),
      );
      expect(later.filter(Boolean)).toHaveLength(3);
      expect(await raw('PROMPTS#U0BURST', 'PROMPTS')).toMatchObject({
        sent: [now + window, now + window, now + window],
      });
    });

    it('cools a certificate down until the given time, and a shorter cooldown does not cut it short', async () => {
      const now = new Date();
      const until = new Date(now.getTime() + 15 * MINUTE);
      expect(await approvals.isCoolingDown('C0FFEE', now)).toBe(false);
      await approvals.coolDown('C0FFEE', until);
      await approvals.coolDown('C0FFEE', new Date(now.getTime() + MINUTE));
      expect(await approvals.isCoolingDown('C0FFEE', new Date(until.getTime() - 1))).toBe(true);
      expect(await approvals.isCoolingDown('C0FFEE', until)).toBe(false);
      expect(await approvals.isCoolingDown('BADF00D', now)).toBe(false);
    });

    it("lists a member's latest approvals, newest first, up to the limit", async () => {
      const base = Date.now() - 60 * MINUTE;
      const made = Array.from({ length: 5 }, (_, i) =>
        approval({
          slackId: 'U0RECENT',
          requestedAt: new Date(base + i * MINUTE),
          deadline: new Date(base + i * MINUTE + MINUTE),
        }),
      );
      for (const each of made) await approvals.create(each);
      await approvals.create(approval({ slackId: 'U0SOMEONE' }));
      await approvals.decide(made[4].id, 'APPROVED', 'U0RECENT', made[4].requestedAt);

      const latest = await approvals.recent('U0RECENT', 3);
      expect(latest.map((a) => a.id)).toEqual([made[4].id, made[3].id, made[2].id]);
      expect(latest.map((a) => a.status)).toEqual(['APPROVED', 'EXPIRED', 'EXPIRED']);
      expect((await approvals.recent('U0RECENT', 10)).map((a) => a.id)).toEqual([...made].reverse().map((a) => a.id));
      expect(await approvals.recent('U0NOBODY', 10)).toEqual([]);
    });

    it('lists undecided approvals before their deadline, soonest deadline first, for the admin Home', async () => {
      const mine = (list: Approval[]) => list.filter((entry) => entry.slackId === 'U0PEND').map((entry) => entry.id);
      const now = Date.now();
      const soon = approval({ slackId: 'U0PEND', deadline: new Date(now + 20_000) });
      const later = approval({ slackId: 'U0PEND', deadline: new Date(now + 40_000) });
      const decided = approval({ slackId: 'U0PEND' });
      const lapsed = approval({
        slackId: 'U0PEND',
        requestedAt: new Date(now - 2 * MINUTE),
        deadline: new Date(now - MINUTE),
      });
      const createdDecided = approval({
        slackId: 'U0PEND',
        status: 'APPROVED',
        decidedAt: new Date(now),
        decidedBy: 'U0PEND',
      });
      for (const entry of [later, decided, lapsed, soon, createdDecided]) await approvals.create(entry);
      expect(await approvals.decide(decided.id, 'DENIED', 'U0PEND', new Date())).toBe(true);

      const pending = await approvals.pending(new Date());
      expect(mine(pending)).toEqual([soon.id, later.id]);
      expect(pending.every((entry) => entry.status === 'PENDING')).toBe(true);
      // The index entry leaves with the decision, not only the status: nothing decided lingers in the index.
      expect((await raw(`APPROVAL#${decided.id}`, 'APPROVAL'))?.gsi2pk).toBeUndefined();
      expect(mine(await approvals.pending(new Date(now + 30_000)))).toEqual([later.id]);
    });

    it('spreads waiting approvals over index shards (a storm must not throttle one partition) and still lists them all, soonest first', async () => {
      const now = Date.now();
      const storm = Array.from({ length: 24 }, (_, i) =>
        approval({ slackId: 'U0STORM', deadline: new Date(now + 60_000 + i * 1000) }),
      );
      await Promise.all(storm.map((entry) => approvals.create(entry)));
      const shards = new Set(
        await Promise.all(storm.map(async (entry) => String((await raw(`APPROVAL#${entry.id}`, 'APPROVAL'))?.gsi2pk))),
      );
      expect([...shards].every((shard) => /^APPROVALS#PENDING#[0-7]$/.test(shard))).toBe(true);
      expect(shards.size).toBeGreaterThan(1);
      const listed = (await approvals.pending(new Date()))
        .filter((entry) => entry.slackId === 'U0STORM')
        .map((entry) => entry.id);
      expect(listed).toEqual(storm.map((entry) => entry.id));
    });

    it('puts a TTL on every item it writes', async () => {
      const now = new Date();
      const pending = approval({ slackId: 'U0TTL' });
      await approvals.create(pending);
      await approvals.attachMessage(pending.id, 'D0TTL', '1718000000.000400');
      await approvals.remember(pending.serial, '203.0.113.8', { from: now, until: new Date(now.getTime() + MINUTE) });
      await approvals.claimPrompt('U0TTL', now, 3, MINUTE);
      await approvals.coolDown('77TTL', new Date(now.getTime() + MINUTE));

      const approvalTtl = (await raw(`APPROVAL#${pending.id}`, 'APPROVAL'))?.expiresAt;
      expect(approvalTtl).toBe(Math.ceil(pending.deadline.getTime() / 1000) + 3600);
      expect((await raw('APPROVALMSG#D0TTL#1718000000.000400', 'APPROVALMSG'))?.expiresAt).toBe(approvalTtl);
      for (const [pk, sk] of [
        [`REMEMBER#${pending.serial}#203.0.113.8`, 'REMEMBER'],
        ['PROMPTS#U0TTL', 'PROMPTS'],
        ['COOLDOWN#77TTL', 'COOLDOWN'],
      ]) {
        expect((await raw(pk, sk))?.expiresAt).toBeGreaterThanOrEqual(Math.floor(now.getTime() / 1000) + 60);
      }
    });

    it('fails with a clear STORE_UNAVAILABLE error when DynamoDB is unreachable', async () => {
      const down = connectDatabase({ tableName: 'nowhere', endpoint: 'http://127.0.0.1:9' });
      const store = new DynamoDbApprovalStore(down);
      try {
        for (const attempt of [
          () => store.create(approval()),
          () => store.get('x'),
          () => store.decide('x', 'DENIED', 'U0JANE', new Date()),
          () => store.claimPrompt('U0JANE', new Date(), 3, MINUTE),
        ]) {
          const error = await attempt().catch((e: unknown) => e);
          expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
          expect((error as Error).message).toMatch(/not reachable.*nothing was changed/);
        }
      } finally {
        down.doc.destroy();
      }
    });
  },
);
