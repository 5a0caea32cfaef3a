import { LogLevel, WebAPIPlatformError, WebClient } from '@slack/web-api';
import { SlackWebProbe } from '../../src/adapters/slack-web/probe';
import { BOT_SCOPES } from '../../src/adapters/slack-web/scopes';
import { SlackStandIn, StandInOptions, startSlackStandIn } from '../../src/local/slack-standin/server';
import { rejectionOf } from '../helpers/errors';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';

const started: SlackStandIn[] = [];
async function standIn(options: StandInOptions = {}): Promise<SlackStandIn> {
  const slack = await startSlackStandIn(options);
  started.push(slack);
  return slack;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((slack) => slack.stop()));
});

describe('Slack stand-in: token scopes', () => {
  it('reports the granted scopes in x-oauth-scopes, as the real WebClient reads them', async () => {
    const slack = await standIn();
    const result = await new WebClient(slack.token, {
      slackApiUrl: slack.apiUrl,
      logLevel: LogLevel.ERROR,
    }).auth.test();
    expect(result.response_metadata?.scopes).toEqual([...BOT_SCOPES]);
  });

  it('refuses a method whose scope the token lacks with missing_scope, naming it', async () => {
    const slack = await standIn({ scopes: BOT_SCOPES.filter((scope) => scope !== 'files:write') });
    const client = new WebClient(slack.token, {
      slackApiUrl: slack.apiUrl,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 0 },
    });
    const error = await client.files
      .getUploadURLExternal({ filename: 'a.csv', length: 3 })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(WebAPIPlatformError);
    expect((error as WebAPIPlatformError).data).toMatchObject({ error: 'missing_scope', needed: 'files:write' });
    // Methods that need no scope, or one it has, still work.
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    await expect(client.users.info({ user: 'U0ALICE' })).resolves.toMatchObject({ ok: true });
  });
});

describe('SlackWebProbe', () => {
  it('returns who the token is and its scopes', async () => {
    const slack = await standIn({ scopes: ['commands', 'chat:write'] });
    const identity = await new SlackWebProbe({ token: slack.token, apiUrl: slack.apiUrl }).identity();
    expect(identity).toEqual({ team: 'vpn-chatops local', botUserId: 'UBOT', scopes: ['commands', 'chat:write'] });
  });

  it('says the token was refused and how to fix it', async () => {
    const slack = await standIn();
    const error = await rejectionOf(new SlackWebProbe({ token: 'xoxb-wrong', apiUrl: slack.apiUrl }).identity());
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(
      'Slack refused SLACK_BOT_TOKEN (invalid_auth): reinstall the app to the workspace and set the new xoxb- token.',
    );
  });

  it('says Slack is unreachable when nothing answers', async () => {
    const port = await freeTcpPort();
    const error = await rejectionOf(
      new SlackWebProbe({ token: 'xoxb-local', apiUrl: `http://127.0.0.1:${port}/api/`, timeoutMs: 2_000 }).identity(),
    );
    expect(error.code).toBe('SLACK_UNAVAILABLE');
    expect(error.message).toMatch(new RegExp(`^Slack's API at http://127.0.0.1:${port}/api/ is not reachable`));
  });

  it("reads Slack's clock from the Date header", async () => {
    const slack = await standIn();
    const before = Date.now();
    const probe = new SlackWebProbe({ token: slack.token, apiUrl: slack.apiUrl });
    const remote = await probe.now();
    // HTTP dates are whole seconds, truncated.
    expect(remote.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(remote.getTime()).toBeLessThanOrEqual(Date.now());
    expect(probe.source).toBe(`Slack (127.0.0.1:${slack.port})`);
  });
});
