import { LogLevel, WebClient } from '@slack/web-api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { ConsoleServer, startConsoleServer } from '../../src/local/console/server';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { ACTION, BLOCK } from '../../src/slack/ids';
import { actions, button } from '../../src/slack/views/blocks';
import { durationSelect } from '../../src/slack/views/duration-select';

describe("the local console: a select's choice goes with the next click in its view", () => {
  let slack: SlackStandIn;
  let server: ConsoleServer;
  let viewId: string;
  /** The block_actions payloads that reached the app. */
  const delivered: { actions: { action_id: string }[]; view?: { state?: unknown } }[] = [];

  const app = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const payload = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('payload');
      if (payload) delivered.push(JSON.parse(payload) as (typeof delivered)[number]);
      res.writeHead(200).end();
    });
  };

  beforeAll(async () => {
    slack = await startSlackStandIn();
    server = await startConsoleServer({
      port: await freeTcpPort(),
      slack,
      signingSecret: 'test-secret',
      admins: ['U0ADMIN'],
      app,
      about: {},
    });
    const client = new WebClient(slack.token, {
      slackApiUrl: slack.apiUrl,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 0 },
    });
    const now = new Date('2026-12-05T10:00:00Z');
    await client.views.publish({
      user_id: 'U0ALICE',
      view: {
        type: 'home',
        blocks: [
          {
            ...actions(
              button('Issue a VPN profile', ACTION.issue),
              durationSelect(ACTION.issueDuration, { now, certDays: 365, maxHours: 72 }),
            ),
            block_id: BLOCK.issueActions,
          },
        ] as never,
      },
    });
    viewId = slack.homeView('U0ALICE')!.id;
  });
  afterAll(async () => {
    await server?.stop();
    await slack?.stop();
  });

  const click = (selections?: unknown) =>
    fetch(`${server.url}/console/api/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({
        user: 'U0ALICE',
        target: { kind: 'view', viewId },
        block: 0,
        element: 0,
        ...(selections !== undefined && { selections }),
      }),
    });

  it('sends an offered option as Slack state, and nothing for a value the view does not offer', async () => {
    expect((await click({ [BLOCK.issueActions]: { [ACTION.issueDuration]: '24' } })).status).toBe(200);
    expect((await click({ [BLOCK.issueActions]: { [ACTION.issueDuration]: '9999' } })).status).toBe(200);
    expect((await click()).status).toBe(200);
    expect(delivered.map((payload) => payload.view?.state)).toEqual([
      {
        values: {
          [BLOCK.issueActions]: {
            [ACTION.issueDuration]: {
              type: 'static_select',
              selected_option: { text: { type: 'plain_text', text: 'For 1 day', emoji: true }, value: '24' },
            },
          },
        },
      },
      { values: {} },
      { values: {} },
    ]);
  });
});
