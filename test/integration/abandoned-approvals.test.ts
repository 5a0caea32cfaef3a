import { randomUUID } from 'node:crypto';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import type { Approval } from '../../src/domain/approval';
import { systemClock } from '../../src/ports';
import { closeAbandonedApprovals } from '../../src/services/abandoned-approvals';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const MINUTE = 60_000;

function approval(slackId: string, deadlineFromNowMs: number, endpointId = 'openvpn:local'): Approval {
  const now = Date.now();
  const cn = `member.laptop-${slackId}.vpn.test`;
  return {
    id: randomUUID(),
    status: 'PENDING',
    slackId,
    cn,
    serial: randomUUID().slice(0, 8),
    request: {
      connectionId: '7',
      endpointId,
      commonName: cn,
      publicIp: '127.0.0.1',
      platform: 'linux',
      platformVersion: '',
      clientVersion: '2.6.14',
    },
    requestedAt: new Date(now + deadlineFromNowMs - 25_000),
    deadline: new Date(now + deadlineFromNowMs),
  };
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'logins whose handler went away, closed on DynamoDB Local',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(() => db.drop());

    it('closes each undecided login past the edge once, as expired and audited, and leaves decided, later and other endpoints alone', async () => {
      const stores = storesFor(db);
      const abandoned = approval('U0ABANDON', -10 * MINUTE);
      const decided = approval('U0DECIDED', -10 * MINUTE);
      const waiting = approval('U0WAITING', MINUTE);
      const elsewhere = approval('U0ELSEWHERE', -10 * MINUTE, 'cvpn-endpoint-0abc');
      for (const item of [abandoned, decided, waiting, elsewhere]) await stores.approvals.create(item);
      expect(await stores.approvals.decide(decided.id, 'APPROVED', 'U0DECIDED', decided.requestedAt)).toBe(true);

      const scope = { before: new Date(Date.now() - MINUTE), endpointId: 'openvpn:local', actor: 'system:daily' };
      const closed = await closeAbandonedApprovals({ ...stores, clock: systemClock }, scope);
      expect(closed.map((item) => item.id)).toEqual([abandoned.id]);
      expect(await closeAbandonedApprovals({ ...stores, clock: systemClock }, scope)).toEqual([]);

      expect(await stores.approvals.get(abandoned.id)).toMatchObject({ status: 'EXPIRED', decidedBy: 'system:daily' });
      expect(await stores.approvals.get(decided.id)).toMatchObject({ status: 'APPROVED' });
      expect(await stores.approvals.get(waiting.id)).toMatchObject({ status: 'PENDING' });
      expect((await stores.approvals.get(elsewhere.id))?.decidedBy).toBeUndefined();

      const audit = await stores.audit.query({ target: abandoned.cn });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor: 'system:daily',
        action: 'approval.decide',
        outcome: 'refused',
        details: { reason: 'abandoned', approval: abandoned.id, endpoint: 'openvpn:local' },
      });
    });
    it('closes more than a page of them in one run, each once: the store pages the oldest 100', async () => {
      const stores = storesFor(db);
      const storm = Array.from({ length: 250 }, (_, i) => approval(`U0STORM${i}`, -(20 + i) * MINUTE, 'openvpn:storm'));
      for (const item of storm) await stores.approvals.create(item);
      const scope = { before: new Date(Date.now() - MINUTE), endpointId: 'openvpn:storm', actor: 'system:daily' };
      const closed = await closeAbandonedApprovals({ ...stores, clock: systemClock }, scope);
      expect(closed.map((item) => item.id).sort()).toEqual(storm.map((item) => item.id).sort());
      const audited = (await stores.audit.query({})).filter((entry) =>
        entry.target.startsWith('member.laptop-U0STORM'),
      );
      expect(audited).toHaveLength(250);
      expect(await closeAbandonedApprovals({ ...stores, clock: systemClock }, scope)).toEqual([]);
    });
  },
);
