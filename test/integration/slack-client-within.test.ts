import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../src/config';
import { Deadline } from '../../src/domain/deadline';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { slackClientWithin } from '../../src/slack/client';

/**
 * The login path's Slack client against the stand-in, which records a call when it arrives and answers it
 * after `delay`: what it cannot prove is when real Slack gives up on a call, only that ours never sends one twice.
 */
describe("the login path's Slack client", () => {
  let slack: SlackStandIn;

  beforeAll(async () => {
    slack = await startSlackStandIn({ users: [{ id: 'U0SLOW', name: 'slow', real_name: 'Slow' }], usergroups: {} });
  });
  afterAll(async () => {
    await slack?.stop();
  });

  const config = () =>
    ({ SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, APPROVAL_TIMEOUT_S: 25 }) as unknown as Config;

  it('waits for a slow post until the deadline, and gives up then: a prompt that arrives late is not worth sending', async () => {
    slack.delay('chat.postMessage', 6_000);
    try {
      const client = slackClientWithin(config(), new Deadline(new Date(Date.now() + 28_000)));
      await expect(client.chat.postMessage({ channel: 'U0SLOW', text: 'Is this you?' })).resolves.toMatchObject({
        ok: true,
      });
      expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
      const started = Date.now();
      const short = slackClientWithin(config(), new Deadline(new Date(Date.now() + 2_000)));
      await expect(short.chat.postMessage({ channel: 'U0SLOW', text: 'Is this you?' })).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      slack.delay('chat.postMessage', 0);
    }
  }, 30_000);

  it('still tries again after a 503, which Slack answered without posting', async () => {
    const before = slack.callsTo('chat.postMessage').length;
    slack.failNext('chat.postMessage', { status: 503 });
    const client = slackClientWithin(config(), new Deadline(new Date(Date.now() + 28_000)));
    await expect(client.chat.postMessage({ channel: 'U0SLOW', text: 'Is this you?' })).resolves.toMatchObject({
      ok: true,
    });
    expect(slack.callsTo('chat.postMessage').length - before).toBe(2);
  });

  it('does not post again when the connection drops after the request was sent: Slack may have posted it', async () => {
    let received = 0;
    const dropping = createServer((req) => {
      received++;
      req.socket.destroy();
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}/api/`;
      const client = slackClientWithin(
        { ...config(), SLACK_API_URL: url } as Config,
        new Deadline(new Date(Date.now() + 28_000)),
      );
      await expect(client.chat.postMessage({ channel: 'U0SLOW', text: 'Is this you?' })).rejects.toThrow();
      expect(received).toBe(1);
    } finally {
      dropping.closeAllConnections();
      await new Promise((resolve) => dropping.close(resolve));
    }
  });

  it('tries again when the connection was refused, since nothing reached Slack', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = slackClientWithin(
      { ...config(), SLACK_API_URL: `http://127.0.0.1:${port}/api/` } as Config,
      new Deadline(new Date(Date.now() + 28_000)),
    );
    const started = Date.now();
    await expect(client.chat.postMessage({ channel: 'U0SLOW', text: 'Is this you?' })).rejects.toThrow();
    // Three attempts, with the 200 ms and 400 ms pauses between them.
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });
});
