import { request } from 'node:http';
import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  WebClientOptions,
} from '@slack/web-api';
import { VpnChatopsError } from '../../src/domain/errors';
import { SlackStandIn, StandInChange, StandInOptions, startSlackStandIn } from '../../src/local/slack-standin/server';

const TOKEN = 'xoxb-local';
const started: SlackStandIn[] = [];

async function standIn(options: StandInOptions = {}): Promise<SlackStandIn> {
  const slack = await startSlackStandIn(options);
  started.push(slack);
  return slack;
}

/** The real client, as the bot builds it, minus retries (tests that need them pass their own). */
const clientFor = (slack: SlackStandIn, options: WebClientOptions = {}, token = TOKEN): WebClient =>
  new WebClient(token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
    ...options,
  });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function rateLimitedFor(promise: Promise<unknown>): Promise<number> {
  const error = await rejection(promise);
  if (!(error instanceof WebAPIRateLimitedError))
    throw new Error(`expected a rate-limited error, got: ${String(error)}`, { cause: error });
  return error.retryAfter;
}

async function platformError(promise: Promise<unknown>): Promise<string> {
  const error = await rejection(promise);
  if (!(error instanceof WebAPIPlatformError))
    throw new Error(`expected a platform error, got: ${String(error)}`, { cause: error });
  return error.data.error;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((slack) => slack.stop()));
});

describe('Slack stand-in: the server', () => {
  test('listens on 127.0.0.1 only, and apiUrl is what slackApiUrl wants', async () => {
    const slack = await standIn();
    expect(slack.apiUrl).toBe(`http://127.0.0.1:${slack.port}/api/`);
    expect(slack.port).toBeGreaterThan(0);
    await expect(fetch(`http://[::1]:${slack.port}/api/auth.test`, { method: 'POST' })).rejects.toThrow();
    const res = await fetch(`${slack.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await res.json()).toMatchObject({ ok: true });
  });

  test('stop() closes kept-alive sockets at once, and a second stop() is harmless', async () => {
    const slack = await startSlackStandIn();
    await clientFor(slack).auth.test();
    const keptAlive = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${slack.apiUrl}auth.test`,
        { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, connection: 'keep-alive' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(keptAlive).toBe(200);
    const before = Date.now();
    await slack.stop();
    expect(Date.now() - before).toBeLessThan(1_000);
    await slack.stop();
    await expect(fetch(`${slack.apiUrl}auth.test`, { method: 'POST' })).rejects.toThrow();
  });

  test('bad options are refused before a port is taken', async () => {
    await expect(
      startSlackStandIn({ users: [{ id: 'alice', name: 'alice', real_name: 'Alice' }] }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(startSlackStandIn({ usergroups: { S1: ['U0NOBODY'] } })).rejects.toBeInstanceOf(VpnChatopsError);
    await expect(startSlackStandIn({ rateLimits: { 'users.info': { perMinute: 0 } } })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});

describe('Slack stand-in: methods through the real WebClient', () => {
  test('auth.test names the bot and the team; the call is recorded with its token', async () => {
    const slack = await standIn();
    const res = await clientFor(slack).auth.test();
    expect(res).toMatchObject({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0LOCAL' });
    expect(slack.callsTo('auth.test')).toEqual([{ method: 'auth.test', args: {}, at: expect.any(Date), token: TOKEN }]);
  });

  test('any other token gets invalid_auth, and no token not_authed', async () => {
    const slack = await standIn();
    expect(await platformError(clientFor(slack, {}, 'xoxb-wrong').auth.test())).toBe('invalid_auth');
    expect(await platformError(clientFor(slack, {}, '').auth.test())).toBe('not_authed');
    expect(slack.calls.map((call) => call.token)).toEqual(['xoxb-wrong', undefined]);
  });

  test('unknown methods get unknown_method', async () => {
    const slack = await standIn();
    expect(await platformError(clientFor(slack).apiCall('nothing.here'))).toBe('unknown_method');
  });

  test('users.info and usergroups.users.list read the workspace', async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    const { user } = await client.users.info({ user: 'U0ADMIN' });
    expect(user).toMatchObject({
      id: 'U0ADMIN',
      real_name: 'Ada Admin',
      is_admin: true,
      is_bot: false,
      profile: { real_name: 'Ada Admin' },
    });
    expect(await platformError(client.users.info({ user: 'U0NOBODY' }))).toBe('user_not_found');
    expect((await client.usergroups.users.list({ usergroup: 'S0VPNADMINS' })).users).toEqual(['U0ADMIN']);
    expect(await platformError(client.usergroups.users.list({ usergroup: 'S0NONE' }))).toBe('no_such_subteam');
  });

  test('DM, update and reactions: the approval pattern end to end', async () => {
    const slack = await standIn();
    const changes: StandInChange[] = [];
    slack.onChange((change) => changes.push(change));
    const client = clientFor(slack);

    const opened = await client.conversations.open({ users: 'U0ALICE' });
    expect(opened).toMatchObject({ ok: true, channel: { id: 'DU0ALICE' } });
    expect(opened.already_open).toBeUndefined();
    expect(await client.conversations.open({ users: 'U0ALICE' })).toMatchObject({
      channel: { id: 'DU0ALICE' },
      already_open: true,
      no_op: true,
    });

    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'Approve the login? React with :+1:' } }];
    const posted = await client.chat.postMessage({ channel: 'DU0ALICE', text: 'Approve the login?', blocks });
    const second = await client.chat.postMessage({ channel: 'U0ALICE', text: 'A U id lands in the DM too' });
    expect(posted.channel).toBe('DU0ALICE');
    expect(second.channel).toBe('DU0ALICE');
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(posted.ts));
    expect(slack.callsTo('chat.postMessage')[0].args).toEqual({
      channel: 'DU0ALICE',
      text: 'Approve the login?',
      blocks,
    });

    await client.apiCall('reactions.add', { channel: 'DU0ALICE', timestamp: posted.ts, name: '+1', user: 'U0ALICE' });
    expect(
      await platformError(
        client.apiCall('reactions.add', { channel: 'DU0ALICE', timestamp: posted.ts, name: '+1', user: 'U0ALICE' }),
      ),
    ).toBe('already_reacted');
    const reactions = await client.reactions.get({ channel: 'DU0ALICE', timestamp: posted.ts ?? '' });
    expect(reactions.message?.reactions).toEqual([{ name: '+1', users: ['U0ALICE'], count: 1 }]);

    await client.chat.update({ channel: 'DU0ALICE', ts: posted.ts ?? '', text: 'Approved by Alice' });
    const [approved] = slack.messages('U0ALICE');
    expect(approved).toMatchObject({
      channel: 'DU0ALICE',
      user: 'UBOT',
      text: 'Approved by Alice',
      blocks,
      edited: { user: 'UBOT' },
    });
    expect(approved.reactions).toHaveLength(1);
    expect(await platformError(client.chat.update({ channel: 'DU0ALICE', ts: '1.000001', text: 'x' }))).toBe(
      'message_not_found',
    );
    expect(await platformError(client.chat.postMessage({ channel: 'C0NOPE!', text: 'x' }))).toBe('channel_not_found');
    expect(await platformError(client.conversations.open({ users: 'UBOT' }))).toBe('cannot_dm_bot');

    expect(changes.map((change) => change.kind)).toEqual([
      'dm_opened',
      'message_posted',
      'message_posted',
      'reaction_added',
      'message_updated',
    ]);
    expect(changes[3]).toEqual({
      kind: 'reaction_added',
      channel: 'DU0ALICE',
      ts: posted.ts,
      user: 'U0ALICE',
      name: '+1',
    });
  });

  test('chat.postEphemeral is stored for that user only', async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    const res = await client.chat.postEphemeral({ channel: 'C0GENERAL', user: 'U0BOB', text: 'Only Bob sees this' });
    expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(slack.ephemerals('U0BOB')).toEqual([
      { channel: 'C0GENERAL', user: 'U0BOB', ts: res.message_ts, text: 'Only Bob sees this' },
    ]);
    expect(slack.ephemerals('U0ALICE')).toEqual([]);
    expect(slack.messages('C0GENERAL')).toEqual([]);
    expect(await platformError(client.chat.postEphemeral({ channel: 'DU0ALICE', user: 'U0BOB', text: 'x' }))).toBe(
      'user_not_in_channel',
    );
  });

  test('views.publish keeps one home view per user, with a stable id and hash checks', async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    const view = {
      type: 'home' as const,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Your certificates' } }],
    };
    const first = await client.views.publish({ user_id: 'U0ADMIN', view });
    expect(first.view).toMatchObject({
      id: expect.stringMatching(/^V/),
      type: 'home',
      blocks: view.blocks,
      hash: expect.any(String),
    });
    expect(slack.callsTo('views.publish')[0].args.view).toEqual(view);
    const second = await client.views.publish({
      user_id: 'U0ADMIN',
      view: { type: 'home', blocks: [] },
      hash: first.view?.hash,
    });
    expect(second.view?.id).toBe(first.view?.id);
    expect(slack.homeView('U0ADMIN')).toMatchObject({
      id: first.view?.id,
      user: 'U0ADMIN',
      view: { type: 'home', blocks: [] },
    });
    expect(await platformError(client.views.publish({ user_id: 'U0ADMIN', view, hash: first.view?.hash }))).toBe(
      'hash_conflict',
    );
    expect(await platformError(client.views.publish({ user_id: 'U0NOBODY', view }))).toBe('user_not_found');
  });

  test("views.open needs a trigger id; a minted one makes it that user's modal, and views.update changes it", async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    const modal = {
      type: 'modal' as const,
      callback_id: 'vpn_csr_submit',
      title: { type: 'plain_text' as const, text: 'Issue' },
      blocks: [],
    };
    expect(await platformError(client.views.open({ trigger_id: 'not-a-trigger', view: modal }))).toBe(
      'invalid_trigger_id',
    );
    const trigger = slack.mintTriggerId('U0ALICE');
    expect(trigger).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    const opened = await client.views.open({ trigger_id: trigger, view: modal });
    expect(slack.openModal('U0ALICE')).toMatchObject({
      id: opened.view?.id,
      user: 'U0ALICE',
      view: { callback_id: 'vpn_csr_submit' },
    });
    await client.views.update({
      view_id: opened.view?.id ?? '',
      view: { ...modal, title: { type: 'plain_text', text: 'Issued' } },
    });
    expect(slack.openModal('U0ALICE')?.view.title).toEqual({ type: 'plain_text', text: 'Issued' });
    expect(await platformError(client.views.update({ view_id: 'V0NOPE', view: modal }))).toBe('not_found');
  });

  test('filesUploadV2 runs its three steps against the stand-in, and /files/<id> serves the bytes', async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    const profile = 'client\nremote vpn.example.test 1194\n<key>\n-----BEGIN PRIVATE KEY-----\n…\n</key>\n';
    const res = await client.filesUploadV2({
      channel_id: 'DU0ALICE',
      filename: 'alice-laptop.ovpn',
      content: profile,
      initial_comment: 'Your VPN profile',
    });

    expect(slack.calls.map((call) => call.method)).toEqual([
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
    expect(slack.callsTo('files.getUploadURLExternal')[0].args).toEqual({
      filename: 'alice-laptop.ovpn',
      length: String(Buffer.byteLength(profile)),
    });
    const [completion] = slack.callsTo('files.completeUploadExternal');
    expect(completion.args).toMatchObject({
      channel_id: 'DU0ALICE',
      initial_comment: 'Your VPN profile',
      files: [{ id: expect.any(String), title: 'alice-laptop.ovpn' }],
    });

    const completed = (res.files as Array<{ files?: Array<{ id: string; permalink: string }> }>)[0].files?.[0];
    expect(completed?.permalink).toBe(`${slack.url}/files/${completed?.id}`);
    const [message] = slack.messages('DU0ALICE');
    expect(message).toMatchObject({
      text: 'Your VPN profile',
      files: [{ id: completed?.id, name: 'alice-laptop.ovpn', size: Buffer.byteLength(profile) }],
    });
    expect(slack.file(completed?.id ?? '')).toMatchObject({
      name: 'alice-laptop.ovpn',
      channel: 'DU0ALICE',
      bytes: Buffer.from(profile),
    });

    const download = await fetch(completed?.permalink ?? '');
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).toString('utf8')).toBe(profile);
    expect(download.headers.get('content-disposition')).toContain('alice-laptop.ovpn');
    expect((await fetch(`${slack.url}/files/F0NOPE`)).status).toBe(404);
  });

  test('a JSON body (Bolt respond-style callers, curl) is read like a form body', async () => {
    const slack = await standIn();
    const blocks = [{ type: 'divider' }];
    const res = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C0OPS', text: '{"looks":"like json"}', blocks }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0OPS' });
    expect(slack.messages('C0OPS')[0]).toMatchObject({ text: '{"looks":"like json"}', blocks });
  });
});

describe('Slack stand-in: users.list, paged as Slack pages it', () => {
  it('walks the workspace by cursor, deactivated accounts and bots included, and ends with an empty next_cursor', async () => {
    const people = Array.from({ length: 5 }, (_, i) => ({ id: `U0P${i}`, name: `p${i}`, real_name: `P ${i}` }));
    const slack = await standIn({
      users: [
        ...people,
        { id: 'U0GONE', name: 'gone', real_name: 'Gone', deleted: true },
        { id: 'U0EXT', name: 'ext', real_name: 'Partner', team_id: 'T0OTHER', is_stranger: true },
      ],
    });
    const client = clientFor(slack);
    const pages: { ids: string[]; next: string | undefined }[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.users.list({ limit: 3, cursor });
      cursor = page.response_metadata?.next_cursor;
      pages.push({ ids: (page.members ?? []).map((user) => user.id ?? ''), next: cursor });
    } while (cursor);
    expect(pages.map((page) => page.ids)).toEqual([['UBOT', 'U0P0', 'U0P1'], ['U0P2', 'U0P3', 'U0P4'], ['U0GONE']]);
    expect(pages[2].next).toBe('');
    const everyone = await client.users.list({});
    expect(everyone.members?.find((user) => user.id === 'U0GONE')).toMatchObject({ deleted: true });
    expect(everyone.members?.find((user) => user.id === 'UBOT')).toMatchObject({ is_bot: true });
    // Another organization's member is not one of this workspace's accounts.
    expect(everyone.members?.map((user) => user.id)).not.toContain('U0EXT');
    expect(await platformError(client.users.list({ cursor: 'bm90LWEtY3Vyc29y' }))).toBe('invalid_cursor');
    expect(await platformError(client.users.list({ limit: -1 }))).toBe('invalid_limit');
  });

  it('enforceRateLimits: users.list is Tier 2, 20 pages a minute', async () => {
    const slack = await standIn({ enforceRateLimits: true });
    const client = clientFor(slack, { rejectRateLimitedCalls: true });
    for (let page = 0; page < 20; page++) await client.users.list({ limit: 200 });
    expect(await rateLimitedFor(client.users.list({ limit: 200 }))).toBeGreaterThan(50);
    await client.users.info({ user: 'U0BOB' });
  });
});

describe('Slack stand-in: Block Kit limits, as Slack refuses them', () => {
  const sections = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ type: 'section', text: { type: 'mrkdwn', text: `line ${i}` } }));

  test('a message over 50 blocks gets invalid_blocks, naming the limit, and is not posted', async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    const error = await rejection(
      client.chat.postMessage({ channel: 'C0OPS', text: 'Too long', blocks: sections(51) }),
    );
    expect(error).toBeInstanceOf(WebAPIPlatformError);
    expect((error as WebAPIPlatformError).data).toMatchObject({
      error: 'invalid_blocks',
      response_metadata: { messages: ['[ERROR] message.blocks: block count is 51, over the limit of 50'] },
    });
    expect(slack.messages('C0OPS')).toEqual([]);
    expect(
      await platformError(
        client.chat.postEphemeral({
          channel: 'C0GENERAL',
          user: 'U0BOB',
          text: 'x',
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }],
        }),
      ),
    ).toBe('invalid_blocks');
    expect(slack.ephemerals('U0BOB')).toEqual([]);
    // At the limit, and plain text with no blocks at all, are fine.
    await client.chat.postMessage({ channel: 'C0OPS', text: 'Just right', blocks: sections(50) });
    const posted = await client.chat.postMessage({ channel: 'C0OPS', text: 'x'.repeat(5000) });
    expect(
      await platformError(
        client.chat.update({ channel: 'C0OPS', ts: posted.ts!, text: 'Too long', blocks: sections(51) }),
      ),
    ).toBe('invalid_blocks');
    expect(slack.messages('C0OPS').map((m) => m.blocks?.length ?? 0)).toEqual([50, 0]);
  });

  test('a view over 100 blocks gets invalid_arguments and the old one stays', async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    await client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: sections(100) } });
    expect(
      await platformError(client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: sections(101) } })),
    ).toBe('invalid_arguments');
    expect(slack.homeView('U0BOB')?.view.blocks).toHaveLength(100);
    const modal = {
      type: 'modal' as const,
      callback_id: 'x',
      title: { type: 'plain_text' as const, text: 'A title longer than 24 characters' },
      blocks: [],
    };
    expect(await platformError(client.views.open({ trigger_id: slack.mintTriggerId('U0BOB'), view: modal }))).toBe(
      'invalid_arguments',
    );
    expect(slack.openModal('U0BOB')).toBeUndefined();
  });

  test('a response_url post over the limits gets 400 invalid_blocks, like a webhook, and shows nothing', async () => {
    const slack = await standIn();
    const url = slack.mintResponseUrl('U0BOB');
    const post = (body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const refused = await post({ text: 'Too long', blocks: sections(51) });
    expect([refused.status, await refused.text()]).toEqual([400, 'invalid_blocks']);
    expect(slack.responses('U0BOB')).toEqual([]);
    expect(slack.ephemerals('U0BOB')).toEqual([]);
    expect((await post({ text: 'Fine', blocks: sections(2) })).status).toBe(200);
    expect(slack.responses('U0BOB')).toHaveLength(1);
  });
});

describe('Slack stand-in: faults, delays and rate limits', () => {
  test('an injected 429 carries Retry-After, which the WebClient waits out before succeeding', async () => {
    const slack = await standIn();
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const client = clientFor(slack, { retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 10 } });
    const before = Date.now();
    const res = await client.chat.postMessage({ channel: 'C0OPS', text: 'after the limit' });
    expect(Date.now() - before).toBeGreaterThanOrEqual(1_000);
    expect(res.ok).toBe(true);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(slack.rateLimited).toBe(1);
    expect(slack.messages('C0OPS')).toHaveLength(1);
  });

  test('with rejectRateLimitedCalls the 429 surfaces as WebAPIRateLimitedError', async () => {
    const slack = await standIn();
    slack.failNext('users.info', { status: 429, retryAfter: 7 });
    expect(await rateLimitedFor(clientFor(slack, { rejectRateLimitedCalls: true }).users.info({ user: 'U0BOB' }))).toBe(
      7,
    );
  });

  test('a 500 is retried by the WebClient and the retry succeeds; without retries it is an HTTP error', async () => {
    const slack = await standIn();
    slack.failNext('chat.postMessage', { status: 500 });
    const retrying = clientFor(slack, { retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 20 } });
    expect((await retrying.chat.postMessage({ channel: 'C0OPS', text: 'second time lucky' })).ok).toBe(true);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2);

    slack.failNext('auth.test', { status: 503 }, 2);
    const error = await rejection(clientFor(slack).auth.test());
    expect(error).toBeInstanceOf(WebAPIHTTPError);
    expect(error).toMatchObject({ statusCode: 503 });
    await expect(clientFor(slack).auth.test()).rejects.toBeInstanceOf(WebAPIHTTPError);
    await expect(clientFor(slack).auth.test()).resolves.toMatchObject({ ok: true });
  });

  test('an injected Slack error passes through as a platform error, once', async () => {
    const slack = await standIn();
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    const client = clientFor(slack);
    expect(await platformError(client.chat.postMessage({ channel: 'C0OPS', text: 'x' }))).toBe('channel_not_found');
    expect((await client.chat.postMessage({ channel: 'C0OPS', text: 'x' })).ok).toBe(true);
  });

  test('delay() slows a method; a WebClient timeout then gives up', async () => {
    const slack = await standIn();
    slack.delay('users.info', 300);
    const before = Date.now();
    await clientFor(slack).users.info({ user: 'U0BOB' });
    expect(Date.now() - before).toBeGreaterThanOrEqual(290);
    await expect(clientFor(slack, { timeout: 50 }).users.info({ user: 'U0BOB' })).rejects.toBeInstanceOf(
      WebAPIRequestError,
    );
    slack.delay('users.info', 0);
    const quick = Date.now();
    await clientFor(slack).users.info({ user: 'U0BOB' });
    expect(Date.now() - quick).toBeLessThan(290);
  });

  test('rateLimits: a sliding window per method answers 429 with Retry-After once it is full', async () => {
    const slack = await standIn({ rateLimits: { 'users.info': { perMinute: 2 } } });
    const client = clientFor(slack, { rejectRateLimitedCalls: true });
    await client.users.info({ user: 'U0BOB' });
    await client.users.info({ user: 'U0BOB' });
    const retryAfter = await rateLimitedFor(client.users.info({ user: 'U0BOB' }));
    expect(retryAfter).toBeGreaterThan(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(slack.rateLimited).toBe(1);
    await client.auth.test();
  });

  test('enforceRateLimits: chat.postMessage gets about one message per second per channel', async () => {
    const slack = await standIn({ enforceRateLimits: true });
    const client = clientFor(slack, { rejectRateLimitedCalls: true });
    await client.chat.postMessage({ channel: 'C0OPS', text: 'one' });
    expect(await rateLimitedFor(client.chat.postMessage({ channel: 'C0OPS', text: 'two' }))).toBe(1);
    await client.chat.postMessage({ channel: 'C0OTHER', text: 'another channel is another window' });
    await client.chat.postMessage({ channel: 'U0ALICE', text: 'dm' });
    expect(await rateLimitedFor(client.chat.postMessage({ channel: 'DU0ALICE', text: 'same DM' }))).toBe(1);
    expect(slack.rateLimited).toBe(2);
  });
});

describe('Slack stand-in: reset()', () => {
  test('clears calls, messages, views, files and faults but keeps the workspace', async () => {
    const slack = await standIn({ users: [{ id: 'U0CAROL', name: 'carol', real_name: 'Carol Example' }] });
    const client = clientFor(slack);
    await client.chat.postMessage({ channel: 'U0CAROL', text: 'hello' });
    await client.views.publish({ user_id: 'U0CAROL', view: { type: 'home', blocks: [] } });
    const upload = await client.filesUploadV2({ channel_id: 'C0OPS', filename: 'a.txt', content: 'a' });
    const fileId = (upload.files as Array<{ files?: Array<{ id: string }> }>)[0].files?.[0].id ?? '';
    expect(slack.file(fileId)).toBeDefined();
    slack.failNext('users.info', { error: 'fatal_error' });
    const changes: StandInChange[] = [];
    slack.onChange((change) => changes.push(change));

    slack.reset();

    expect(changes).toEqual([{ kind: 'reset' }]);
    expect(slack.calls).toEqual([]);
    expect(slack.messages('U0CAROL')).toEqual([]);
    expect(slack.messages('C0OPS')).toEqual([]);
    expect(slack.homeView('U0CAROL')).toBeUndefined();
    expect(slack.file(fileId)).toBeUndefined();
    expect((await client.users.info({ user: 'U0CAROL' })).user?.real_name).toBe('Carol Example');
    expect(await platformError(client.users.info({ user: 'U0ALICE' }))).toBe('user_not_found');
    expect(slack.calls).toHaveLength(2);
  });
});

describe('Slack stand-in: what a person sees (the console)', () => {
  const post = (url: string, body: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('shows an app answer and response_url posts as ephemeral messages, replacing and deleting the original', async () => {
    const slack = await standIn();
    const changes: StandInChange[] = [];
    slack.onChange((change) => changes.push(change));
    const ts = slack.nextTs();
    const url = slack.mintResponseUrl('U0ADMIN', { channel: 'C0GENERAL', originalTs: ts });
    slack.postAppAnswer('U0ADMIN', 'C0GENERAL', ts, {
      text: 'Revoke?',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Revoke?' } }],
    });
    expect((await post(url, { replace_original: true, text: 'Revoking…' })).status).toBe(200);
    expect(slack.ephemerals('U0ADMIN')).toEqual([{ channel: 'C0GENERAL', user: 'U0ADMIN', ts, text: 'Revoking…' }]);
    await post(url, { text: 'Also this' });
    expect(slack.ephemerals('U0ADMIN').map((m) => m.text)).toEqual(['Revoking…', 'Also this']);
    await post(url, { delete_original: true });
    expect(slack.ephemerals('U0ADMIN').map((m) => m.text)).toEqual(['Also this']);
    // Only the person who acted sees any of it; the raw posts are still recorded in order.
    expect(slack.ephemerals('U0ALICE')).toEqual([]);
    expect(slack.responses('U0ADMIN').map((r) => r.body)).toEqual([
      { replace_original: true, text: 'Revoking…' },
      { text: 'Also this' },
      { delete_original: true },
    ]);
    expect(changes.map((c) => c.kind)).toEqual([
      'ephemeral_posted',
      'ephemeral_updated',
      'ephemeral_posted',
      'ephemeral_deleted',
    ]);
  });

  it('an empty answer shows nothing; the first response_url post then becomes the original', async () => {
    const slack = await standIn();
    const ts = slack.nextTs();
    slack.postAppAnswer('U0BOB', 'C0GENERAL', ts, {});
    const url = slack.mintResponseUrl('U0BOB', { originalTs: ts });
    await post(url, { replace_original: true, text: 'first' });
    await post(url, { replace_original: true, text: 'second' });
    expect(slack.ephemerals('U0BOB').map((m) => m.text)).toEqual(['second']);
  });

  it('takes a reaction from a person and reports it; refuses a repeat and unknown messages', async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    const { ts } = await client.chat.postMessage({ channel: 'U0ALICE', text: 'Is this you?' });
    const changes: StandInChange[] = [];
    slack.onChange((change) => changes.push(change));
    expect(slack.addReaction('U0ALICE', 'DU0ALICE', ts!, '+1')).toEqual({ ok: true });
    expect(slack.addReaction('U0ALICE', 'DU0ALICE', ts!, '+1')).toEqual({ ok: false, error: 'already_reacted' });
    expect(slack.addReaction('U0ALICE', 'DU0ALICE', '1.000001', '+1')).toEqual({
      ok: false,
      error: 'message_not_found',
    });
    expect(slack.messages('U0ALICE')[0].reactions).toEqual([{ name: '+1', users: ['U0ALICE'], count: 1 }]);
    expect(changes).toEqual([{ kind: 'reaction_added', channel: 'DU0ALICE', ts, user: 'U0ALICE', name: '+1' }]);
  });

  it("closes a person's modal, and shows a view the app answered a submission with", async () => {
    const slack = await standIn();
    const client = clientFor(slack);
    const modal = {
      type: 'modal' as const,
      callback_id: 'x',
      title: { type: 'plain_text' as const, text: 'One' },
      blocks: [],
    };
    await client.views.open({ trigger_id: slack.mintTriggerId('U0BOB'), view: modal });
    slack.showModal('U0BOB', { ...modal, title: { type: 'plain_text', text: 'Two' } });
    expect((slack.openModal('U0BOB')?.view.title as { text: string }).text).toBe('Two');
    slack.closeModal('U0BOB');
    expect(slack.openModal('U0BOB')).toBeUndefined();
    expect(slack.channelIds()).toEqual([]);
  });
});

describe('Slack stand-in: bounded history, for a long-running console', () => {
  it('keeps only the newest messages, ephemerals, files and calls; without retention it keeps all', async () => {
    const retention = { messagesPerChannel: 5, ephemeralsPerUser: 3, files: 2, calls: 4 };
    const bounded = await standIn({ retention });
    const unbounded = await standIn();
    for (const slack of [bounded, unbounded]) {
      const client = clientFor(slack);
      for (let index = 0; index < 12; index++) {
        await client.chat.postMessage({ channel: 'C0GENERAL', text: `message ${index}` });
        slack.postAppAnswer('U0ALICE', 'C0GENERAL', slack.nextTs(), { text: `answer ${index}` });
        slack.mintTriggerId('U0ALICE');
      }
      for (let index = 0; index < 4; index++)
        await client.files.uploadV2({ channel_id: 'DU0ALICE', filename: `f${index}.ovpn`, content: `file ${index}` });
    }
    expect(bounded.messages('C0GENERAL').map((message) => message.text)).toEqual([
      'message 7',
      'message 8',
      'message 9',
      'message 10',
      'message 11',
    ]);
    expect(bounded.ephemerals('U0ALICE').map((message) => message.text)).toEqual([
      'answer 9',
      'answer 10',
      'answer 11',
    ]);
    expect(bounded.calls).toHaveLength(4);
    const files = bounded
      .messages('DU0ALICE')
      .flatMap((message) => message.files.map((file) => bounded.file(file.id)?.bytes?.toString()));
    expect(files).toEqual([undefined, undefined, 'file 2', 'file 3']);

    expect(unbounded.messages('C0GENERAL')).toHaveLength(12);
    expect(unbounded.ephemerals('U0ALICE')).toHaveLength(12);
    expect(unbounded.calls.length).toBeGreaterThan(12);
    expect(
      unbounded
        .messages('DU0ALICE')
        .flatMap((message) => message.files.map((file) => unbounded.file(file.id)?.bytes?.toString())),
    ).toEqual(['file 0', 'file 1', 'file 2', 'file 3']);
  });
});
