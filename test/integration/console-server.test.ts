import { LogLevel, WebClient } from '@slack/web-api';
import { IncomingMessage, ServerResponse, request } from 'node:http';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { ConsoleServer, startConsoleServer } from '../../src/local/console/server';
import { SlackStandIn, TEAM_ID, startSlackStandIn } from '../../src/local/slack-standin/server';
import { signSlackBody } from '../../src/local/slack-requests';
import { uploadToDm } from '../../src/slack/jobs/upload';

interface Answer {
  status: number;
  body: string;
}

/** A request as a browser (or a rebound DNS name) would send it: Host and Origin set by hand, which fetch does not allow. */
function send(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the local console refuses requests that other web pages could make', () => {
  let slack: SlackStandIn;
  let server: ConsoleServer;
  let port: number;
  let fileId: string;
  /** What reached the app's Request URL: the console's own signed requests only. */
  const delivered: string[] = [];

  const app = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      delivered.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('text') ?? '');
      res.writeHead(200).end();
    });
  };

  beforeAll(async () => {
    slack = await startSlackStandIn();
    port = await freeTcpPort();
    server = await startConsoleServer({
      port,
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
    await uploadToDm(client, 'U0ALICE', { filename: 'alice.ovpn', content: '<key>\nPRIVATE KEY\n</key>\n' });
    fileId = slack.messages('DU0ALICE').flatMap((message) => message.files)[0].id;
  });

  afterAll(async () => {
    await server?.stop();
    await slack?.stop();
  });

  const own = () => `127.0.0.1:${port}`;
  const command = (text: string) => JSON.stringify({ user: 'U0ALICE', channel: 'C0GENERAL', text });

  it('serves its own page, state, events, files and API at 127.0.0.1 and localhost', async () => {
    for (const host of [own(), `localhost:${port}`]) {
      expect((await send(port, { path: '/', headers: { host } })).status).toBe(200);
      expect(
        JSON.parse((await send(port, { path: '/console/api/state?user=U0ALICE', headers: { host } })).body),
      ).toMatchObject({ me: 'U0ALICE' });
      expect((await send(port, { path: `/files/${fileId}`, headers: { host } })).body).toContain('PRIVATE KEY');
    }
    const events = await fetch(`${server.url}/console/api/events`);
    expect(events.status).toBe(200);
    await events.body?.cancel();
    const answer = await send(port, {
      method: 'POST',
      path: '/console/api/command',
      headers: { host: own(), origin: `http://${own()}`, 'content-type': 'application/json' },
      body: command('/vpn help'),
    });
    expect(answer).toMatchObject({ status: 200 });
    // Through the guard on /slack/events too: the console signs and posts it from the server side.
    expect(delivered).toEqual(['help']);
  });

  it('refuses a forged Host (DNS rebinding) on the API, the state, a file, the events and /slack/events', async () => {
    const host = `evil.example:${port}`;
    const attempts = [
      { path: '/' },
      { path: '/console/api/state?user=U0ALICE' },
      { path: `/files/${fileId}` },
      { path: '/console/api/events' },
      {
        method: 'POST',
        path: '/console/api/command',
        headers: { 'content-type': 'application/json' },
        body: command('/vpn issue evil'),
      },
      {
        method: 'POST',
        path: '/slack/events',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'command=%2Fvpn&text=issue',
      },
    ];
    for (const attempt of attempts) {
      const answer = await send(port, { ...attempt, headers: { ...attempt.headers, host } });
      expect({ path: attempt.path, ...answer }).toEqual({
        path: attempt.path,
        status: 403,
        body: expect.stringMatching(
          /^Refused: this local server answers only requests for 127\.0\.0\.1:\d+ or localhost:\d+ \(Host was "evil\.example:\d+"\)/,
        ),
      });
      expect(answer.body).not.toContain('PRIVATE KEY');
    }
    expect(delivered).toEqual(['help']);
  });

  it('refuses a text/plain or form POST (no CORS preflight) and changes nothing', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const headers: Record<string, string> = {
        host: own(),
        origin: `http://${own()}`,
        ...(type ? { 'content-type': type } : {}),
      };
      const answer = await send(port, {
        method: 'POST',
        path: '/console/api/command',
        headers,
        body: command('/vpn issue csrf'),
      });
      expect(answer).toEqual({
        status: 403,
        body: expect.stringContaining("the console's API takes only Content-Type: application/json"),
      });
    }
    expect(delivered).toEqual(['help']);
  });

  it('refuses a request from another origin, even with the right Host and JSON', async () => {
    for (const origin of ['http://evil.example', `http://localhost:${port}`, 'null']) {
      const answer = await send(port, {
        method: 'POST',
        path: '/console/api/command',
        headers: { host: own(), origin, 'content-type': 'application/json' },
        body: command('/vpn issue cross'),
      });
      expect(answer).toEqual({
        status: 403,
        body: expect.stringMatching(/^Refused: a request from .*the console answers only its own page/),
      });
    }
    expect(
      (await send(port, { path: `/files/${fileId}`, headers: { host: own(), origin: 'http://evil.example' } })).status,
    ).toBe(403);
    expect(delivered).toEqual(['help']);
  });
});

describe('the Slack stand-in refuses a forged Host', () => {
  it('on its Web API and its unauthenticated file links', async () => {
    const slack = await startSlackStandIn();
    try {
      const host = `evil.example:${slack.port}`;
      const api = await send(slack.port, {
        method: 'POST',
        path: '/api/auth.test',
        headers: { host, authorization: `Bearer ${slack.token}` },
      });
      expect(api).toEqual({ status: 403, body: expect.stringContaining('Host was "evil.example:') });
      expect((await send(slack.port, { path: '/files/F0001', headers: { host } })).status).toBe(403);
      const own = await send(slack.port, {
        method: 'POST',
        path: '/api/auth.test',
        headers: { host: `localhost:${slack.port}`, authorization: `Bearer ${slack.token}` },
      });
      expect(JSON.parse(own.body)).toMatchObject({ ok: true });
    } finally {
      await slack.stop();
    }
  });
});

describe("the console's Deactivate: what Slack's admin page does, heard by the app as user_change", () => {
  it('marks the account deactivated in users.info and delivers a signed user_change event', async () => {
    const slack = await startSlackStandIn();
    const port = await freeTcpPort();
    const received: { body: string; headers: IncomingMessage['headers'] }[] = [];
    const server = await startConsoleServer({
      port,
      slack,
      signingSecret: 'test-secret',
      admins: ['U0ADMIN'],
      app: (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
          res.writeHead(200).end();
        });
      },
      about: {},
    });
    try {
      const own = `127.0.0.1:${port}`;
      const deactivate = (target: string) =>
        send(port, {
          method: 'POST',
          path: '/console/api/deactivate',
          headers: { host: own, origin: `http://${own}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user: 'U0ADMIN', target }),
        });
      expect(await deactivate('U0BOB')).toMatchObject({ status: 200 });
      const [delivery] = received;
      const timestamp = Number(delivery.headers['x-slack-request-timestamp']);
      expect(delivery.headers['x-slack-signature']).toBe(signSlackBody(delivery.body, timestamp, 'test-secret'));
      expect(JSON.parse(delivery.body)).toMatchObject({
        type: 'event_callback',
        event: { type: 'user_change', user: { id: 'U0BOB', deleted: true, is_bot: false, team_id: TEAM_ID } },
      });
      const client = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR });
      expect((await client.users.info({ user: 'U0BOB' })).user).toMatchObject({
        deleted: true,
        is_restricted: false,
        is_ultra_restricted: false,
      });
      // Once is enough, and only people can be deactivated.
      expect(await deactivate('U0BOB')).toMatchObject({ status: 400, body: expect.stringContaining('already') });
      expect(await deactivate('UBOT')).toMatchObject({ status: 400 });
      expect(received).toHaveLength(1);
    } finally {
      await server.stop();
      await slack.stop();
    }
  });
});
