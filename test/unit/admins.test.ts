import { WebClient } from '@slack/web-api';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { AdminPolicy } from '../../src/slack/admins';

describe('AdminPolicy', () => {
  let slack: SlackStandIn;
  let client: WebClient;
  beforeAll(async () => {
    slack = await startSlackStandIn({ usergroups: { S0VPNADMINS: ['U0ADMIN'] } });
    client = new WebClient(slack.token, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
  });
  afterAll(() => slack.stop());
  beforeEach(() => slack.reset());

  it('knows admins from ADMIN_SLACK_IDS without asking Slack', async () => {
    const policy = new AdminPolicy(['U0BOB'], undefined, client);
    expect(await policy.isAdmin('U0BOB')).toBe(true);
    expect(await policy.isAdmin('U0ALICE')).toBe(false);
    expect(slack.calls).toHaveLength(0);
  });

  it('reads the admin user group once per cache period', async () => {
    const policy = new AdminPolicy([], 'S0VPNADMINS', client);
    expect(policy.knownAdmin('U0ADMIN')).toBe(false);
    expect(await policy.isAdmin('U0ADMIN')).toBe(true);
    expect(await policy.isAdmin('U0ALICE')).toBe(false);
    expect(policy.knownAdmin('U0ADMIN')).toBe(true);
    expect(slack.callsTo('usergroups.users.list')).toHaveLength(1);
  });

  it('uses the last known list when Slack fails, and fails closed with a clear error when there is none', async () => {
    const fresh = new AdminPolicy([], 'S0VPNADMINS', client);
    slack.failNext('usergroups.users.list', { status: 429, retryAfter: 30 });
    await expect(fresh.isAdmin('U0ADMIN')).rejects.toThrow(/Could not check the VPN admin group/);

    const cached = new AdminPolicy([], 'S0VPNADMINS', client, 0);
    expect(await cached.isAdmin('U0ADMIN')).toBe(true);
    slack.failNext('usergroups.users.list', { status: 503 });
    expect(await cached.isAdmin('U0ADMIN')).toBe(true);
  });
});
