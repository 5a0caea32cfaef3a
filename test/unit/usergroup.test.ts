import type { WebClient } from '@slack/web-api';
import { SlackUsergroup } from '../../src/slack/usergroup';

/** users.list answers once, then Slack is down. */
function flakySlack() {
  let calls = 0;
  const client = {
    usergroups: {
      users: {
        list: async () => {
          calls++;
          if (calls === 1) return { ok: true, users: ['U0ALICE'] };
          throw new Error('slack is down');
        },
      },
    },
  } as unknown as WebClient;
  return client;
}

describe('SlackUsergroup while Slack does not answer', () => {
  let now = 1_000_000;
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  it('decides with the last known list while it is young enough, then fails closed', async () => {
    const group = new SlackUsergroup('S0ISSUE', flakySlack(), 'the issuing group', 60_000, 15 * 60_000);
    expect(await group.has('U0ALICE')).toBe(true);
    now += 10 * 60_000;
    expect(await group.has('U0ALICE')).toBe(true);
    now += 6 * 60_000;
    await expect(group.has('U0ALICE')).rejects.toThrow(/Could not check the issuing group: Slack did not answer/);
  });

  it('without a limit keeps the last known list, as the admin group does', async () => {
    const group = new SlackUsergroup('S0ADMINS', flakySlack(), 'the VPN admin group');
    expect(await group.has('U0ALICE')).toBe(true);
    now += 24 * 3_600_000;
    expect(await group.has('U0ALICE')).toBe(true);
  });
});
