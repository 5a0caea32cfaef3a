import { WebClient } from '@slack/web-api';
import { SlackMemberDirectory } from '../../src/adapters/slack-web/member-directory';
import type { CertificateRecord } from '../../src/domain/certificate';
import { DEFAULT_USERS, SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import type { CertificateStore, IdempotencyStore } from '../../src/ports';
import { type ReconcileDeps, reconcileOffboarding } from '../../src/services/offboarding';
import type { RevokeRequest } from '../../src/services/revoke';
import { MemoryAuditLog } from '../helpers/memory-stores';
import { certificateRecord } from '../helpers/records';

const PEOPLE = Array.from({ length: 450 }, (_, i) => ({
  id: `U1M${String(i).padStart(3, '0')}`,
  name: `m${i}`,
  real_name: `Member ${i}`,
}));

/** The reconcile on SlackMemberDirectory over the stand-in's HTTP, with certificates and revocations in memory. */
function reconcileDeps(slack: SlackStandIn, records: CertificateRecord[]) {
  const revoked: string[] = [];
  const claimed = new Set<string>();
  const idempotency: IdempotencyStore = {
    claim: async (key) => !claimed.has(key) && Boolean(claimed.add(key)),
    release: async (key) => void claimed.delete(key),
  };
  const deps: ReconcileDeps = {
    policy: { mode: 'auto', guests: true },
    certificates: {
      byUser: async (slackId: string) => records.filter((record) => record.slackId === slackId),
      list: async (filter?: { status?: string }) => records.filter((record) => record.status === filter?.status),
    } as unknown as CertificateStore,
    audit: new MemoryAuditLog(),
    idempotency,
    clock: { now: () => new Date() },
    notifier: { offboarded: async () => undefined, toReview: async () => undefined },
    revoke: async (request: RevokeRequest) => {
      const slackId = (request.target as { slackId: string }).slackId;
      revoked.push(slackId);
      return { revoked: [], alreadyRevoked: [], failed: [], sessions: [], crl: [] };
    },
    // The bot's own client settings (src/slack/client.ts): two quick retries.
    members: new SlackMemberDirectory(
      new WebClient(slack.token, {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 20 },
      }),
    ),
    pace: { pageIntervalMs: 0 },
  };
  return { deps, revoked };
}

describe('the offboarding reconcile on users.list, over the Slack stand-in', () => {
  let slack: SlackStandIn;
  beforeEach(async () => {
    slack = await startSlackStandIn({ users: [...DEFAULT_USERS, ...PEOPLE] });
  });
  afterEach(() => slack?.stop());

  const holders = () => PEOPLE.filter((_, i) => i % 2 === 0).map((person) => certificateRecord({ slackId: person.id }));

  it('reads every page the way Slack pages it, and offboards the deactivated holders on pages 2 and 3', async () => {
    for (const id of ['U1M300', 'U1M420', 'U1M301']) slack.changeAccount(id, { deleted: true });
    const { deps, revoked } = reconcileDeps(slack, holders());
    const sweep = await reconcileOffboarding(deps);
    expect(sweep).toMatchObject({ checked: 225, lookup: 'users.list', calls: 3, unchecked: 0, failed: [] });
    expect(revoked).toEqual(['U1M300', 'U1M420']);
    expect(slack.callsTo('users.list').map((call) => call.args.cursor)).toEqual([
      undefined,
      Buffer.from('user:U1M196').toString('base64'),
      Buffer.from('user:U1M396').toString('base64'),
    ]);
  });

  it('a page that still fails after the retries stops the listing: no one it did not see is revoked', async () => {
    // Deactivated: U1M100 on page 1, U1M300 on page 2 and U1M420 on page 3, which are never read.
    for (const id of ['U1M100', 'U1M300', 'U1M420']) slack.changeAccount(id, { deleted: true });
    const { deps, revoked } = reconcileDeps(slack, holders());
    const { members } = deps;
    const firstPage = members.page.bind(members);
    members.page = async (request) => {
      const page = await firstPage(request);
      // Slack breaks down after the first page, for longer than the client retries.
      slack.failNext('users.list', { status: 503 }, 3);
      return page;
    };
    const sweep = await reconcileOffboarding(deps);
    expect(sweep).toMatchObject({
      checked: 98,
      lookup: 'users.list',
      calls: 2,
      unchecked: 127,
      stopped: expect.stringMatching(/^users\.list page 2 failed: Slack's users\.list failed: .*503/),
    });
    expect(revoked).toEqual(['U1M100']);
    expect(slack.callsTo('users.list')).toHaveLength(4);
    expect(slack.callsTo('users.info')).toEqual([]);
  });
});
