import type { CertificateRecord } from '../../src/domain/certificate';
import type { MemberProfile } from '../../src/domain/member';
import { Deadline } from '../../src/domain/deadline';
import { memberFromSlackUser } from '../../src/domain/member';
import type { CertificateStore, IdempotencyStore, MemberDirectory } from '../../src/ports';
import {
  OffboardingDeps,
  OffboardingPolicy,
  offboardMember,
  offboardReported,
  offboardingCause,
  reconcileOffboarding,
} from '../../src/services/offboarding';
import type { RevokeRequest } from '../../src/services/revoke';
import { MemoryAuditLog } from '../helpers/memory-stores';
import { certificateRecord } from '../helpers/records';
import type { RevocationReport } from '../../src/domain/revocation-report';

const TEAM = 'T0HOME';
const AUTO: OffboardingPolicy = { mode: 'auto', guests: true };
const member = (overrides: Partial<MemberProfile> = {}): MemberProfile => ({
  slackId: 'U0JANE',
  teamId: TEAM,
  deleted: false,
  restricted: false,
  ultraRestricted: false,
  bot: false,
  ...overrides,
});

/** For the tests of users.info alone: a listing is not what they are about. */
const notListed = () => Promise.reject(new Error('users.list is not asked here'));

class MemoryIdempotency implements IdempotencyStore {
  readonly claimed = new Set<string>();
  async claim(key: string): Promise<boolean> {
    if (this.claimed.has(key)) return false;
    this.claimed.add(key);
    return true;
  }
  async release(key: string): Promise<void> {
    this.claimed.delete(key);
  }
}

/** Certificates in memory, a revoke that marks them revoked (or fails as told), and what the admins were told. */
function world(records: CertificateRecord[], policy = AUTO) {
  const revokes: RevokeRequest[] = [];
  const told: string[] = [];
  const audit = new MemoryAuditLog();
  const idempotency = new MemoryIdempotency();
  let failNextRevoke: 'throw' | 'half' | undefined;
  const certificates = {
    byUser: async (slackId: string) => records.filter((record) => record.slackId === slackId),
    list: async (filter?: { status?: string }) => records.filter((record) => record.status === filter?.status),
  } as unknown as CertificateStore;
  const deps: OffboardingDeps = {
    policy,
    certificates,
    audit,
    idempotency,
    clock: { now: () => new Date() },
    notifier: {
      offboarded: async (notice) =>
        void told.push(`offboarded ${notice.member.slackId} (${notice.cause}, ${notice.source})`),
      toReview: async (notice) =>
        void told.push(`review ${notice.member.slackId}: ${notice.certificates.map((r) => r.serial).join(',')}`),
    },
    revoke: async (request): Promise<RevocationReport> => {
      revokes.push(request);
      const slackId = (request.target as { slackId: string }).slackId;
      const mine = records.filter((record) => record.slackId === slackId && record.status !== 'revoked');
      if (failNextRevoke === 'throw') {
        failNextRevoke = undefined;
        throw new Error('the table did not answer');
      }
      const half = failNextRevoke === 'half';
      failNextRevoke = undefined;
      const [first, ...rest] = mine;
      for (const record of half ? [first] : mine) record.status = 'revoked';
      return {
        revoked: (half ? [first] : mine).map(({ serial, cn, notAfter }) => ({ serial, cn, notAfter })),
        alreadyRevoked: [],
        failed: half ? rest.map(({ serial, cn }) => ({ serial, cn, step: 'revoke' as const, error: 'throttled' })) : [],
        sessions: [{ endpoint: 'openvpn:test', terminated: 1 }],
        crl: [],
      };
    },
  };
  return {
    deps,
    revokes,
    told,
    audit,
    idempotency,
    failNext: (how: 'throw' | 'half') => (failNextRevoke = how),
  };
}

describe('offboardingCause: whose access must end', () => {
  it.each([
    ['a deactivated member', member({ deleted: true }), AUTO, { cause: 'deactivated' }],
    ['a multi-channel guest', member({ restricted: true }), AUTO, { cause: 'guest' }],
    ['a single-channel guest', member({ restricted: true, ultraRestricted: true }), AUTO, { cause: 'guest' }],
    [
      'a guest, when guests keep access',
      member({ restricted: true }),
      { ...AUTO, guests: false },
      { ignored: 'still-a-member' },
    ],
    [
      'a deactivated guest, when guests keep access',
      member({ restricted: true, deleted: true }),
      { ...AUTO, guests: false },
      { cause: 'deactivated' },
    ],
    ['a profile edit (still a full member)', member(), AUTO, { ignored: 'still-a-member' }],
    ['a bot', member({ bot: true, deleted: true }), AUTO, { ignored: 'bot' }],
    ['another team', member({ teamId: 'T0OTHER', deleted: true }), AUTO, { ignored: 'other-team' }],
    ['anyone, when OFFBOARDING=off', member({ deleted: true }), { ...AUTO, mode: 'off' as const }, { ignored: 'off' }],
    [
      'in report mode, a deactivated member',
      member({ deleted: true }),
      { ...AUTO, mode: 'report' as const },
      { cause: 'deactivated' },
    ],
  ])('%s', (_what, profile, policy, expected) => {
    expect(offboardingCause(profile, policy, TEAM)).toEqual(expected);
  });

  it('a member without a team id, or with the home team unknown, is taken for ours', () => {
    expect(offboardingCause(member({ teamId: undefined, deleted: true }), AUTO, TEAM)).toEqual({
      cause: 'deactivated',
    });
    expect(offboardingCause(member({ teamId: 'T0OTHER', deleted: true }), AUTO, undefined)).toEqual({
      cause: 'deactivated',
    });
  });

  it("reads Slack's user object, where a false flag may be missing", () => {
    expect(memberFromSlackUser({ id: 'U0JANE', team_id: TEAM, deleted: true })).toEqual(member({ deleted: true }));
    expect(
      memberFromSlackUser({ id: 'U0JANE', is_restricted: true, is_ultra_restricted: true, is_bot: false }),
    ).toEqual(member({ teamId: undefined, restricted: true, ultraRestricted: true }));
  });
});

describe('offboardMember', () => {
  it('auto: revokes every live certificate as system:offboarding (affiliationChanged), audits access.offboard, tells the admins', async () => {
    const records = [certificateRecord({ serial: 'a1' }), certificateRecord({ serial: 'a2', status: 'suspended' })];
    const { deps, revokes, told, audit } = world(records);
    const outcome = await offboardMember(deps, member({ deleted: true }), { homeTeam: TEAM, source: 'event' });
    expect(outcome).toMatchObject({ outcome: 'revoked', cause: 'deactivated' });
    expect(revokes).toEqual([
      { target: { slackId: 'U0JANE' }, reason: 'affiliationChanged', actor: 'system:offboarding' },
    ]);
    expect(told).toEqual(['offboarded U0JANE (deactivated, event)']);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'system:offboarding',
        action: 'access.offboard',
        target: 'U0JANE',
        outcome: 'success',
        details: expect.objectContaining({ cause: 'deactivated', revoked: ['a1', 'a2'], sessionsEnded: 1 }),
      }),
    ]);
  });

  it('report: revokes nothing, audits it as deferred, and tells the admins which certificates still work', async () => {
    const records = [certificateRecord({ serial: 'b1' })];
    const { deps, revokes, told, audit } = world(records, { mode: 'report', guests: true });
    const outcome = await offboardMember(deps, member({ restricted: true }), { homeTeam: TEAM, source: 'event' });
    expect(outcome).toMatchObject({ outcome: 'reported', cause: 'guest' });
    expect(revokes).toEqual([]);
    expect(records[0].status).toBe('active');
    expect(told).toEqual(['review U0JANE: b1']);
    expect(audit.entries).toEqual([expect.objectContaining({ action: 'access.offboard', outcome: 'deferred' })]);
  });

  it('off, a bot, another team, a profile edit: nothing is read, revoked or told', async () => {
    for (const [profile, policy] of [
      [member({ deleted: true }), { mode: 'off', guests: true }],
      [member({ deleted: true, bot: true }), AUTO],
      [member({ deleted: true, teamId: 'T0OTHER' }), AUTO],
      [member(), AUTO],
    ] as const) {
      const { deps, revokes, told, audit } = world([certificateRecord()], policy);
      expect((await offboardMember(deps, profile, { homeTeam: TEAM, source: 'event' })).outcome).toBe('ignored');
      expect([revokes, told, audit.entries]).toEqual([[], [], []]);
    }
  });

  it('a member with no live certificate (none, revoked, expired) is ignored', async () => {
    const records = [
      certificateRecord({ serial: 'r', status: 'revoked' }),
      certificateRecord({ serial: 'e', notAfter: new Date(Date.now() - 1000) }),
    ];
    const { deps, revokes, told } = world(records);
    expect(await offboardMember(deps, member({ deleted: true }), { source: 'event' })).toEqual({
      outcome: 'ignored',
      because: 'no-live-certificate',
    });
    expect([revokes, told]).toEqual([[], []]);
  });

  it('a replay, in either mode, revokes and tells once', async () => {
    for (const mode of ['auto', 'report'] as const) {
      const { deps, revokes, told } = world([certificateRecord({ serial: 'c1' })], { mode, guests: true });
      const gone = member({ deleted: true });
      await offboardMember(deps, gone, { source: 'event' });
      const again = await offboardMember(deps, gone, { source: 'reconcile' });
      expect(again.outcome).toBe('ignored');
      expect(told).toHaveLength(1);
      expect(revokes.length).toBe(mode === 'auto' ? 1 : 0);
    }
  });

  it('a concurrent second run for the same certificates is refused by the claim, not by luck', async () => {
    const { deps, revokes } = world([certificateRecord({ serial: 'd1' })]);
    const gone = member({ deleted: true });
    const outcomes = await Promise.all([
      offboardMember(deps, gone, { source: 'event' }),
      offboardMember(deps, gone, { source: 'reconcile' }),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['ignored', 'revoked']);
    expect(revokes).toHaveLength(1);
  });

  it('a revoke that throws, or leaves a certificate active, is tried again by the next delivery', async () => {
    const records = [certificateRecord({ serial: 'f1' }), certificateRecord({ serial: 'f2' })];
    const { deps, revokes, failNext, audit } = world(records);
    const gone = member({ deleted: true });
    failNext('throw');
    await expect(offboardMember(deps, gone, { source: 'event' })).rejects.toThrow('the table did not answer');
    failNext('half');
    expect((await offboardMember(deps, gone, { source: 'event' })).outcome).toBe('revoked');
    expect(audit.entries.at(-1)).toMatchObject({ outcome: 'partial' });
    expect((await offboardMember(deps, gone, { source: 'reconcile' })).outcome).toBe('revoked');
    expect(revokes).toHaveLength(3);
    expect(records.map((r) => r.status)).toEqual(['revoked', 'revoked']);
  });
});

describe('offboardReported: a user_change event', () => {
  const directory = (answer: (id: string) => Promise<MemberProfile>) => {
    const asked: string[] = [];
    const members: MemberDirectory = {
      member: (id) => (asked.push(id), answer(id)),
      team: async () => TEAM,
      page: notListed,
    };
    return { members, asked };
  };

  it('a profile edit is dropped on the event itself, without asking Slack', async () => {
    const { deps } = world([certificateRecord()]);
    const { members, asked } = directory(async () => member({ deleted: true }));
    expect((await offboardReported({ ...deps, members }, member(), TEAM)).outcome).toBe('ignored');
    expect(asked).toEqual([]);
  });

  it('a stale deactivation (reactivated since) is checked against Slack and left alone', async () => {
    const { deps, revokes } = world([certificateRecord()]);
    const { members, asked } = directory(async () => member());
    expect(await offboardReported({ ...deps, members }, member({ deleted: true }), TEAM)).toEqual({
      outcome: 'ignored',
      because: 'still-a-member',
    });
    expect([asked, revokes]).toEqual([['U0JANE'], []]);
  });

  it("when Slack does not answer, the event's facts stand: access still ends", async () => {
    const { deps, revokes } = world([certificateRecord()]);
    const { members } = directory(() => Promise.reject(new Error('users.info: ratelimited')));
    expect((await offboardReported({ ...deps, members }, member({ deleted: true }), TEAM)).outcome).toBe('revoked');
    expect(revokes).toHaveLength(1);
  });
});

describe('reconcileOffboarding: the daily catch-up', () => {
  it('looks up each holder once, offboards who left, goes on past a failed lookup and reports it', async () => {
    const records = [
      certificateRecord({ serial: 'g1', slackId: 'U0GONE' }),
      certificateRecord({ serial: 'g2', slackId: 'U0GONE', status: 'suspended' }),
      certificateRecord({ serial: 'h1', slackId: 'U0STAY' }),
      certificateRecord({ serial: 'i1', slackId: 'U0FAIL' }),
      certificateRecord({ serial: 'j1', slackId: undefined, cn: 'legacy-easyrsa' }),
      certificateRecord({ serial: 'k1', slackId: 'U0OLD', status: 'revoked' }),
    ];
    const { deps, revokes, told } = world(records);
    const asked: string[] = [];
    const members: MemberDirectory = {
      member: async (id) => {
        asked.push(id);
        if (id === 'U0FAIL') throw new Error('users.info failed: fatal_error');
        return member({ slackId: id, deleted: id === 'U0GONE' });
      },
      team: async () => TEAM,
      page: notListed,
    };
    const sweep = await reconcileOffboarding({ ...deps, members, pace: { concurrency: 2, intervalMs: 0 } });
    expect(asked.sort()).toEqual(['U0FAIL', 'U0GONE', 'U0STAY']);
    expect(sweep).toEqual({
      checked: 2,
      revoked: ['U0GONE'],
      reported: [],
      failed: [{ slackId: 'U0FAIL', error: 'users.info failed: fatal_error' }],
      lookup: 'users.info',
      calls: 3,
      unchecked: 0,
    });
    expect(revokes.map((r) => r.target)).toEqual([{ slackId: 'U0GONE' }]);
    expect(told).toEqual(['offboarded U0GONE (deactivated, reconcile)']);
  });

  it('OFFBOARDING=off asks Slack nothing', async () => {
    const { deps } = world([certificateRecord()], { mode: 'off', guests: true });
    const members = { member: jest.fn(), team: jest.fn() } as unknown as MemberDirectory;
    expect(await reconcileOffboarding({ ...deps, members })).toEqual({
      checked: 0,
      revoked: [],
      reported: [],
      failed: [],
      calls: 0,
      unchecked: 0,
    });
    expect(members.member).not.toHaveBeenCalled();
  });

  it('never has more lookups in flight than its concurrency', async () => {
    const records = Array.from({ length: 9 }, (_, i) => certificateRecord({ serial: `m${i}`, slackId: `U0M${i}` }));
    const { deps } = world(records);
    let inFlight = 0;
    let most = 0;
    const members: MemberDirectory = {
      member: async (id) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return member({ slackId: id });
      },
      team: async () => TEAM,
      page: notListed,
    };
    const sweep = await reconcileOffboarding({ ...deps, members, pace: { concurrency: 3, intervalMs: 0 } });
    expect(sweep.checked).toBe(9);
    expect(most).toBe(3);
  });
});

describe('reconcileOffboarding: many holders, found in the listing (users.list)', () => {
  const holders = (ids: string[]) => ids.map((id, i) => certificateRecord({ serial: `s${i}`, slackId: id }));
  /** A workspace listed `pageSize` at a time; `failPage` (1-based) fails; `onPage` runs after each answered page. */
  const workspace = (accounts: MemberProfile[], options: { failPage?: number; onPage?: () => void } = {}) => {
    const pages: (string | undefined)[] = [];
    const asked: string[] = [];
    const members: MemberDirectory = {
      member: async (id) => {
        asked.push(id);
        const found = accounts.find((account) => account.slackId === id);
        if (!found) throw new Error(`users.info for ${id}: user_not_found`);
        return found;
      },
      team: async () => TEAM,
      page: async ({ cursor, limit }) => {
        pages.push(cursor);
        if (pages.length === options.failPage) throw new Error("Slack's users.list failed: fatal_error");
        const start = Number(cursor ?? 0);
        options.onPage?.();
        return {
          members: accounts.slice(start, start + limit),
          nextCursor: start + limit < accounts.length ? String(start + limit) : undefined,
        };
      },
    };
    return { members, pages, asked };
  };
  const ids = (n: number, prefix = 'U0H') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const pace = { concurrency: 2, intervalMs: 0, pageIntervalMs: 0, pageSize: 4, listAbove: 3 };

  it('chooses by the number of holders: up to listAbove each is looked up, above it the workspace is listed', async () => {
    const accounts = ids(10).map((slackId) => member({ slackId }));
    const few = world(holders(ids(3)));
    const small = workspace(accounts);
    expect(await reconcileOffboarding({ ...few.deps, members: small.members, pace })).toMatchObject({
      lookup: 'users.info',
      checked: 3,
      calls: 3,
    });
    expect(small.pages).toEqual([]);

    const many = world(holders(ids(4)));
    const large = workspace(accounts);
    expect(await reconcileOffboarding({ ...many.deps, members: large.members, pace })).toMatchObject({
      lookup: 'users.list',
      checked: 4,
      calls: 1,
    });
    // Every holder was on the first page: the rest of the workspace is not listed.
    expect(large.pages).toEqual([undefined]);
    expect(large.asked).toEqual([]);
  });

  it('offboards who left on a later page, and asks users.info only about holders the listing never showed', async () => {
    const accounts = ids(12).map((slackId) => member({ slackId, deleted: slackId === 'U0H9' }));
    const { deps, revokes, told } = world(holders([...ids(6).slice(1), 'U0H9', 'U0EXT', 'U0GHOST']));
    const ext = member({ slackId: 'U0EXT', teamId: 'T0OTHER', deleted: true });
    const { members, pages, asked } = workspace(accounts);
    const answer = members.member;
    members.member = (id) => (id === 'U0EXT' ? (asked.push(id), Promise.resolve(ext)) : answer(id));
    const sweep = await reconcileOffboarding({ ...deps, members, pace });
    expect(pages).toEqual([undefined, '4', '8']);
    expect(asked.sort()).toEqual(['U0EXT', 'U0GHOST']);
    expect(sweep).toEqual({
      checked: 7,
      revoked: ['U0H9'],
      reported: [],
      failed: [{ slackId: 'U0GHOST', error: 'users.info for U0GHOST: user_not_found' }],
      lookup: 'users.list',
      calls: 5,
      unchecked: 0,
    });
    expect(revokes.map((r) => r.target)).toEqual([{ slackId: 'U0H9' }]);
    expect(told).toEqual(['offboarded U0H9 (deactivated, reconcile)']);
  });

  it('a page that fails stops the listing: who was seen is handled, nobody unseen is revoked or looked up', async () => {
    const accounts = ids(12).map((slackId) => member({ slackId, deleted: ['U0H1', 'U0H5'].includes(slackId) }));
    const { deps, revokes } = world(holders(['U0H1', 'U0H2', 'U0H5', 'U0H6', 'U0H10']));
    const { members, asked } = workspace(accounts, { failPage: 2 });
    const sweep = await reconcileOffboarding({ ...deps, members, pace });
    expect(sweep).toEqual({
      checked: 2,
      revoked: ['U0H1'],
      reported: [],
      failed: [],
      lookup: 'users.list',
      calls: 2,
      unchecked: 3,
      stopped: "users.list page 2 failed: Slack's users.list failed: fatal_error",
    });
    expect(revokes.map((r) => r.target)).toEqual([{ slackId: 'U0H1' }]);
    expect(asked).toEqual([]);
  });

  it('stops at the deadline, listing or looking up, and counts who it did not reach', async () => {
    let now = 0;
    const deadline = new Deadline(new Date(1_000), () => new Date(now));
    const accounts = ids(12).map((slackId) => member({ slackId }));
    const listed = world(holders(['U0H1', 'U0H5', 'U0H9', 'U0H10']));
    const pagesIn = workspace(accounts, { onPage: () => (now += 600) });
    const sweep = await reconcileOffboarding({ ...listed.deps, members: pagesIn.members, pace, deadline });
    expect(sweep).toMatchObject({
      checked: 2,
      calls: 2,
      unchecked: 2,
      stopped: 'out of time after 2 pages of users.list',
    });

    now = 0;
    const few = world(holders(ids(3)));
    const oneByOne = workspace(accounts);
    const lookUp = oneByOne.members.member;
    oneByOne.members.member = (id) => ((now += 600), lookUp(id));
    const looked = await reconcileOffboarding({
      ...few.deps,
      members: oneByOne.members,
      pace: { ...pace, concurrency: 1 },
      deadline,
    });
    expect(looked).toMatchObject({
      lookup: 'users.info',
      checked: 2,
      calls: 2,
      unchecked: 1,
      stopped: 'out of time after 2 of 3 users.info lookups',
    });
  });
});
