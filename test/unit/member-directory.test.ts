import { WebClient } from '@slack/web-api';
import { SlackMemberDirectory } from '../../src/adapters/slack-web/member-directory';
import { DEFAULT_USERS, SlackStandIn, TEAM_ID, startSlackStandIn } from '../../src/local/slack-standin/server';

describe('SlackMemberDirectory (users.info, auth.test) against the Slack stand-in', () => {
  let slack: SlackStandIn;
  let directory: SlackMemberDirectory;

  beforeAll(async () => {
    slack = await startSlackStandIn({
      users: [
        ...DEFAULT_USERS,
        { id: 'U0GUEST', name: 'guest', real_name: 'One Channel', is_restricted: true, is_ultra_restricted: true },
        { id: 'U0EXT', name: 'ext', real_name: 'Partner', team_id: 'T0OTHER', is_stranger: true },
      ],
    });
    directory = new SlackMemberDirectory(
      new WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
    );
  });
  afterAll(() => slack?.stop());

  it("reads the facts offboarding decides on, as Slack's users.info carries them", async () => {
    expect(await directory.member('U0ALICE')).toEqual({
      slackId: 'U0ALICE',
      teamId: TEAM_ID,
      deleted: false,
      restricted: false,
      ultraRestricted: false,
      bot: false,
    });
    expect(await directory.member('U0GUEST')).toMatchObject({ restricted: true, ultraRestricted: true });
    expect(await directory.member('U0EXT')).toMatchObject({ teamId: 'T0OTHER' });
    expect(await directory.member('UBOT')).toMatchObject({ bot: true });
    slack.changeAccount('U0BOB', { deleted: true });
    expect(await directory.member('U0BOB')).toMatchObject({ deleted: true });
  });

  it('fails with a typed error naming the member when Slack does not know them or does not answer', async () => {
    await expect(directory.member('U0NOBODY')).rejects.toMatchObject({
      code: 'SLACK_UNAVAILABLE',
      message: expect.stringMatching(/users\.info for U0NOBODY failed.*user_not_found/),
    });
    slack.failNext('users.info', { status: 503 });
    await expect(directory.member('U0ALICE')).rejects.toMatchObject({ code: 'SLACK_UNAVAILABLE' });
  });

  it("asks auth.test for the bot's team once, and again after a failure", async () => {
    slack.failNext('auth.test', { error: 'fatal_error' });
    await expect(directory.team()).rejects.toThrow();
    expect(await directory.team()).toBe(TEAM_ID);
    expect(await directory.team()).toBe(TEAM_ID);
    expect(slack.callsTo('auth.test')).toHaveLength(2);
  });
});
