import { WebClient } from '@slack/web-api';
import { DynamoDbReconcileProgressStore } from '../../src/adapters/dynamodb/reconcile-progress-store';
import { SlackMemberDirectory } from '../../src/adapters/slack-web/member-directory';
import type { Deadline } from '../../src/domain/deadline';
import { DEFAULT_USERS, SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import type { CertificateStore, IdempotencyStore } from '../../src/ports';
import { PASS_EVERY_MS, continueOffboardingPass, passProblems } from '../../src/services/offboarding-pass';
import type { RevokeRequest } from '../../src/services/revoke';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { MemoryAuditLog } from '../helpers/memory-stores';
import { certificateRecord } from '../helpers/records';
import { describeWith } from '../helpers/tools';

const PEOPLE = Array.from({ length: 450 }, (_, i) => ({
  id: `U1M${String(i).padStart(3, '0')}`,
  name: `m${i}`,
  real_name: `Member ${i}`,
}));
/** Every other member holds a certificate: 225 holders, listed 98 on page 1, 100 on page 2, 27 on page 3. */
const HOLDERS = PEOPLE.filter((_, i) => i % 2 === 0).map((person) => certificateRecord({ slackId: person.id }));
/** Deactivated without their user_change arriving: one holder on each page. */
const LEFT = ['U1M100', 'U1M300', 'U1M420'];

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the offboarding reconcile resumed across runs (users.list place saved in DynamoDB)',
  () => {
    let slack: SlackStandIn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    beforeEach(async () => {
      slack = await startSlackStandIn({ users: [...DEFAULT_USERS, ...PEOPLE] });
      for (const id of LEFT) slack.changeAccount(id, { deleted: true });
      db = await testDatabase();
    });
    afterEach(async () => {
      await slack?.stop();
      await db?.drop();
    });

    /** The pass on DynamoDB Local and the stand-in's HTTP; claims and revocations in memory, so a repeat would show. */
    function world() {
      const clock = { at: new Date('2027-03-01T04:00:00Z') };
      const revoked: string[] = [];
      const claimed = new Set<string>();
      const idempotency: IdempotencyStore = {
        claim: async (key) => !claimed.has(key) && Boolean(claimed.add(key)),
        release: async (key) => void claimed.delete(key),
      };
      const run = (deadline?: Deadline) =>
        continueOffboardingPass({
          policy: { mode: 'auto', guests: true },
          certificates: {
            byUser: async (slackId: string) => HOLDERS.filter((record) => record.slackId === slackId),
            list: async (filter?: { status?: string }) => HOLDERS.filter((record) => record.status === filter?.status),
          } as unknown as CertificateStore,
          audit: new MemoryAuditLog(),
          idempotency,
          clock: { now: () => clock.at },
          notifier: { offboarded: async () => undefined, toReview: async () => undefined },
          revoke: async (request: RevokeRequest) => {
            revoked.push((request.target as { slackId: string }).slackId);
            return { revoked: [], alreadyRevoked: [], failed: [], sessions: [], crl: [] };
          },
          members: new SlackMemberDirectory(new WebClient(slack.token, { slackApiUrl: slack.apiUrl })),
          pace: { pageIntervalMs: 0 },
          progress: new DynamoDbReconcileProgressStore(db),
          deadline,
        });
      return { clock, revoked, run };
    }
    /** Out of time once `pages` users.list pages were asked for in this run. */
    const afterPages = (pages: number): Deadline => {
      const before = slack.callsTo('users.list').length;
      return { remainingMs: () => (slack.callsTo('users.list').length - before >= pages ? 0 : 60_000) } as Deadline;
    };
    const cursors = () => slack.callsTo('users.list').map((call) => call.args.cursor);
    const pageCursor = (lastOnPrevious: string) => Buffer.from(`user:${lastOnPrevious}`).toString('base64');

    it('a run cut short after page 1 is resumed at page 2 by the next: every holder checked once, each leaver offboarded once', async () => {
      const { revoked, run } = world();

      const first = await run(afterPages(1));
      expect(first).toMatchObject({ resumed: false, finished: false, checked: 98, unchecked: 127, calls: 1 });
      expect(first.stopped).toMatch(/out of time after 1 pages/);
      expect(revoked).toEqual(['U1M100']);

      const second = await run();
      expect(second).toMatchObject({ resumed: true, finished: true, checked: 127, unchecked: 0, calls: 2, failed: [] });
      expect(revoked).toEqual(LEFT);
      // Page 1 was not read again, and no holder was looked up one by one: page 1's were known to be listed.
      expect(cursors()).toEqual([undefined, pageCursor('U1M196'), pageCursor('U1M396')]);
      expect(slack.callsTo('users.info')).toEqual([]);
      expect(first.checked + second.checked).toBe(HOLDERS.length);
    });

    it('stopped on every page, the pass still reaches the end, one page a run', async () => {
      const { revoked, run } = world();
      const runs = [];
      for (let i = 0; i < 5 && !runs.at(-1)?.finished; i++) runs.push(await run(afterPages(1)));
      expect(runs.map((report) => [report.resumed, report.finished, report.checked])).toEqual([
        [false, false, 98],
        [true, false, 100],
        [true, true, 27],
      ]);
      expect(revoked).toEqual(LEFT);
      expect(cursors()).toEqual([undefined, pageCursor('U1M196'), pageCursor('U1M396')]);
    });

    it('a finished pass rests until the next day, when a new pass starts from page 1', async () => {
      const { clock, run } = world();
      expect(await run()).toMatchObject({ finished: true, checked: 225 });
      clock.at = new Date(clock.at.getTime() + PASS_EVERY_MS - 60_000);
      expect(await run()).toMatchObject({ resting: true, checked: 0, calls: 0 });
      expect(cursors()).toHaveLength(3);
      clock.at = new Date(clock.at.getTime() + 60_000);
      expect(await run()).toMatchObject({ resumed: false, finished: true, checked: 225 });
      expect(cursors().slice(3)).toEqual([undefined, pageCursor('U1M196'), pageCursor('U1M396')]);
    });

    it('a pass whose saved cursor Slack refuses is not resumed there again: the next run starts a fresh pass', async () => {
      const { clock, revoked, run } = world();
      const expired = Buffer.from('user:U9GONE').toString('base64');
      await new DynamoDbReconcileProgressStore(db).save({
        startedAt: new Date(clock.at.getTime() - 3_600_000),
        pages: 1,
        cursor: expired,
      });

      const refused = await run();
      expect(refused).toMatchObject({ resumed: true, finished: false, cursorRefused: true });
      expect(passProblems(refused).at(-1)).toMatch(/invalid_cursor.*which starts a fresh pass$/);

      clock.at = new Date(clock.at.getTime() + 3_600_000);
      expect(await run()).toMatchObject({ resumed: true, finished: true, checked: 225, failed: [] });
      expect(revoked).toEqual(LEFT);
      expect(cursors()).toEqual([expired, undefined, pageCursor('U1M196'), pageCursor('U1M396')]);
    });

    it('an unfinished pass as old as the interval between passes is given up for a fresh one, and the report says so', async () => {
      const { clock, revoked, run } = world();
      const first = await run(afterPages(1));
      expect(first).toMatchObject({ finished: false, checked: 98 });

      clock.at = new Date(clock.at.getTime() + PASS_EVERY_MS);
      const fresh = await run();
      expect(fresh).toMatchObject({ resumed: false, finished: true, checked: 225, abandoned: { pages: 1 } });
      expect(passProblems(fresh)).toEqual([
        'offboarding pass begun 2027-03-01T04:00:00.000Z never finished (1 users.list pages read): a fresh pass started; leavers whose user_change was missed may have kept access meanwhile',
      ]);
      expect(cursors()).toEqual([undefined, undefined, pageCursor('U1M196'), pageCursor('U1M396')]);
      // U1M100 checked again but offboarded once: the first pass's claim stands.
      expect(revoked).toEqual(LEFT);
    });
  },
);
