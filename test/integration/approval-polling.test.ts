import { randomUUID } from 'node:crypto';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import type { Approval } from '../../src/domain/approval';
import { encodeCn } from '../../src/domain/cn';
import type { ApprovalStore } from '../../src/ports';
import { DEFAULT_POLICY, DecideDeps, decideConnection } from '../../src/services/decide-connection';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const DAY_MS = 86_400_000;

/**
 * The connect handler polls with eventually consistent reads. What a poll shows is only a hint: a decision
 * it shows is confirmed by a strongly consistent read, one it misses is still found at the deadline.
 */
describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'polling a login approval', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let ids = 0;

  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function enrol(slackId: string): Promise<string> {
    const cn = encodeCn({ displayName: 'Pat', slackId, domain: 'vpn.test', device: 'laptop', tag: 'abcde' });
    const now = new Date();
    await storesFor(db).certificates.create({
      serial: randomUUID().replace(/-/g, '').toUpperCase(),
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
    return cn;
  }

  /** Each read the decision makes of its approval, by kind, in order. */
  function counted(approvals: ApprovalStore, reads: string[], peek?: ApprovalStore['peek']): ApprovalStore {
    return Object.create(approvals, {
      get: {
        value: (id: string) => {
          reads.push('get');
          return approvals.get(id);
        },
      },
      peek: {
        value: (id: string) => {
          reads.push('peek');
          return (peek ?? approvals.peek.bind(approvals))(id);
        },
      },
    }) as ApprovalStore;
  }

  function depsFor(approvals: ApprovalStore, answer?: (approval: Approval) => void): DecideDeps {
    return {
      ...storesFor(db),
      approvals,
      clock: { now: () => new Date() },
      policy: {
        ...DEFAULT_POLICY,
        certDomain: 'vpn.test',
        promptLimit: 100,
        rememberHours: 0,
        timeoutMs: 1_500,
        closingMs: 1_000,
      },
      notifier: {
        prompt: async (approval: Approval) => {
          answer?.(approval);
          return { channel: `D${approval.slackId}`, ts: `1700000000.${String(++ids).padStart(6, '0')}` };
        },
        settle: async () => undefined,
        alertAdmins: async () => undefined,
      },
    };
  }

  const request = (cn: string) => ({
    connectionId: `c${++ids}`,
    endpointId: 'e1',
    commonName: cn,
    publicIp: '203.0.113.30',
    platform: 'mac',
    platformVersion: '14',
    clientVersion: '2.6.14',
  });

  it('polls eventually consistent, and allows a 👍 a poll shows only once a strongly consistent read confirms it', async () => {
    const cn = await enrol('U0POLL1');
    const stores = storesFor(db);
    const reads: string[] = [];
    const deps = depsFor(counted(stores.approvals, reads), (approval) => {
      setTimeout(() => void stores.approvals.decide(approval.id, 'APPROVED', approval.slackId, new Date()), 400);
    });
    expect(await decideConnection(deps, request(cn))).toMatchObject({ allow: true, reason: 'approved' });
    expect(reads.slice(0, -1).every((read) => read === 'peek')).toBe(true);
    expect(reads.slice(-2)).toEqual(['peek', 'get']);
  });

  it('a poll that shows a decision the table does not hold lets no one in', async () => {
    const cn = await enrol('U0POLL2');
    const stores = storesFor(db);
    const reads: string[] = [];
    let opened: string | undefined;
    // A wrong read: every poll claims the owner approved, while nobody answered.
    const lying = async (id: string) => {
      const approval = await stores.approvals.peek(id);
      return approval && { ...approval, status: 'APPROVED' as const };
    };
    const deps = depsFor(counted(stores.approvals, reads, lying), (approval) => (opened = approval.id));
    expect(await decideConnection(deps, request(cn))).toMatchObject({ allow: false, reason: 'timeout' });
    expect(reads.filter((read) => read === 'get').length).toBeGreaterThan(1);
    expect((await stores.approvals.get(opened!))?.status).toBe('EXPIRED');
  });

  it('a 👍 every poll missed (stale reads) is still found at the deadline, never lost to EXPIRED', async () => {
    const cn = await enrol('U0POLL3');
    const stores = storesFor(db);
    const reads: string[] = [];
    // Stale to the end: every poll shows the approval as it was when it was created.
    const stale = async (id: string) => {
      const approval = await stores.approvals.peek(id);
      return approval && { ...approval, status: 'PENDING' as const };
    };
    const deps = depsFor(counted(stores.approvals, reads, stale), (approval) => {
      setTimeout(() => void stores.approvals.decide(approval.id, 'APPROVED', approval.slackId, new Date()), 300);
    });
    expect(await decideConnection(deps, request(cn))).toMatchObject({ allow: true, reason: 'approved' });
  });

  it('a poll that fails (throttled, or slow in a storm) does not end the wait: a later poll reads the 👍 and lets the owner in', async () => {
    const cn = await enrol('U0POLL4');
    const stores = storesFor(db);
    const reads: string[] = [];
    let failures = 0;
    const flaky = async (id: string) => {
      if (failures < 3) {
        failures++;
        throw new Error('ProvisionedThroughputExceededException');
      }
      return stores.approvals.peek(id);
    };
    const deps = depsFor(counted(stores.approvals, reads, flaky), (approval) => {
      setTimeout(() => void stores.approvals.decide(approval.id, 'APPROVED', approval.slackId, new Date()), 200);
    });
    expect(await decideConnection(deps, request(cn))).toMatchObject({ allow: true, reason: 'approved' });
    expect(failures).toBe(3);
  });

  it('polls that fail to the deadline refuse with the database at fault, never "nobody approved", and close the approval', async () => {
    const cn = await enrol('U0POLL5');
    const stores = storesFor(db);
    const reads: string[] = [];
    let opened: string | undefined;
    const failing = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const deps = depsFor(counted(stores.approvals, reads, failing), (approval) => (opened = approval.id));
    const answer = await decideConnection(deps, request(cn));
    expect(answer).toMatchObject({ allow: false, reason: 'error' });
    expect(answer.message).toMatch(/could not read your answer in Slack in time/);
    expect(reads.filter((read) => read === 'peek').length).toBeGreaterThan(1);
    expect((await stores.approvals.get(opened!))?.status).toBe('EXPIRED');
  });
});
