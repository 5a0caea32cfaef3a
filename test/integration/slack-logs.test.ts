import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { storesFor } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { caMaterial } from '../../src/pki/ca';
import type { InProcessJobQueue } from '../../src/slack/jobs';
import { createSlackLambdaHandler } from '../../src/slack/lambda';
import { inProcessJobs } from '../../src/slack/runtime';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { recentServerLog } from '../helpers/connection-logs';
import { botEnv, slashCommand } from '../helpers/slack';
import { describeWith, tempDir } from '../helpers/tools';

type Response = { statusCode: number; body?: string };
type Reply = { text?: string; blocks?: unknown[] };

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, '/vpn logs through the real Bolt app, signed requests and the Slack stand-in', () => {
  let slack: SlackStandIn;
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let dir: ReturnType<typeof tempDir>;
  let handler: (event: unknown, context: unknown) => Promise<unknown>;
  const queues: InProcessJobQueue[] = [];

  const command = async (user: string, text: string) => (await handler(slashCommand(user, text, slack.mintResponseUrl(user)), {})) as Response;
  const ackText = (response: Response) => (JSON.parse(response.body ?? '{}') as { text?: string }).text ?? '';
  const replies = (user: string) => slack.responses(user).map((post) => post.body as Reply);
  const idle = () => Promise.all(queues.map((queue) => queue.idle()));

  beforeAll(async () => {
    [slack, db] = await Promise.all([startSlackStandIn(), testDatabase()]);
    dir = tempDir('slack-logs');
    await new LocalCaStore(dir.path).save(caMaterial(await testCa()));
    const logFile = join(dir.path, 'openvpn.log');
    writeFileSync(logFile, recentServerLog(10 * 60_000));
    const openvpn = { type: 'openvpn', management: '127.0.0.1:9', crlFile: join(dir.path, 'crl.pem'), remote: '127.0.0.1 1194 udp' };
    const env = botEnv(slack, db.tableName, dir.path, {
      VPN_ENDPOINTS: JSON.stringify([
        { ...openvpn, name: 'test', logFile },
        { ...openvpn, name: 'nolog' },
      ]),
    });
    handler = createSlackLambdaHandler(() => loadConfig(env), async (config, database) => {
      const queue = await inProcessJobs(config, database);
      queues.push(queue);
      return queue;
    }) as typeof handler;
  });
  afterAll(async () => {
    await idle();
    await slack?.stop();
    await db?.drop();
    dir?.remove();
  });

  it('refuses non-admins at once, audits it, and reads nothing', async () => {
    const response = await command('U0BOB', 'logs');
    expect(ackText(response)).toMatch(/Only VPN admins can read connection logs/);
    await idle();
    expect(replies('U0BOB')).toEqual([]);
    expect((await storesFor(db).audit.query({ actor: 'U0BOB' })).map((entry) => [entry.action, entry.details])).toEqual([['access.refused', { what: 'read connection logs' }]]);
  });

  it('answers a malformed number of hours with a clear error, and does nothing', async () => {
    const before = slack.calls.length;
    for (const text of ['logs soon', 'logs 0', 'logs 12 13']) expect(ackText(await command('U0ADMIN', text))).toMatch(/number of hours|0 hours|Use `\/vpn logs \[hours\]`/);
    await idle();
    expect(replies('U0ADMIN')).toEqual([]);
    expect(slack.calls.slice(before).map((call) => call.method)).not.toContain('files.getUploadURLExternal');
  });

  it('summarizes each endpoint for an admin and puts the chart in their DM', async () => {
    const response = await command('U0ADMIN', 'logs 6');
    expect(response.statusCode).toBe(200);
    expect(ackText(response)).toMatch(/Reading every endpoint's connection log/);

    const reply = await eventually(() => replies('U0ADMIN').find((r) => r.text?.startsWith('Connection attempts')), 'the summary');
    expect(reply.text).toBe('Connection attempts, last 6 hours: openvpn:test: 6 attempts, 4 failed; openvpn:nolog: not read.');
    const blocks = JSON.stringify(reply.blocks);
    expect(blocks).toContain('*openvpn:test*: *6 attempts* · ✅ 2 successful · ❌ 4 failed');
    for (const reason of ['certificate-revoked', 'client-deny: not-approved', 'crl-expired', 'tls-crypt-failed']) expect(blocks).toContain(`\`${reason}\` 1`);
    expect(blocks).toContain('`jane-doe-U0JANE.vpn.test` 3 (1 failed)');
    expect(blocks).toContain('openvpn:nolog: no connection log is configured: add \\"logFile\\"');
    expect(blocks).toContain('📈 A chart of attempts per hour');

    const upload = slack.callsTo('files.completeUploadExternal').at(-1)!;
    expect(upload.args.channel_id).toBe('DU0ADMIN');
    const message = slack.messages('DU0ADMIN').find((m) => m.files?.length)!;
    expect(message.text).toMatch(/^Connection attempts per hour on openvpn:test, .*: green successful, red failed, grey other\. 6 attempts, 4 failed\.$/);
    const png = slack.file(message.files![0].id)!.bytes!;
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(message.files![0].name).toBe('connection-attempts-openvpn-test.png');
  });

  it('caps a huge window and says so', async () => {
    await command('U0ADMIN', 'logs 100000');
    const reply = await eventually(() => replies('U0ADMIN').find((r) => JSON.stringify(r.blocks ?? []).includes('You asked for 100,000 hours')), 'the capped summary');
    expect(reply.text).toMatch(/^Connection attempts, last 168 hours:/);
  });

  it('still replies with the whole summary when the chart cannot be uploaded', async () => {
    slack.failNext('files.completeUploadExternal', { error: 'not_in_channel' });
    const before = replies('U0ADMIN').length;
    await command('U0ADMIN', 'logs 2');
    const reply = await eventually(() => replies('U0ADMIN').slice(before).find((r) => r.text?.startsWith('Connection attempts')), 'the summary');
    const blocks = JSON.stringify(reply.blocks);
    expect(blocks).toContain('*6 attempts*');
    expect(blocks).toMatch(/The chart of attempts per hour could not be sent: .*not_in_channel.*The summary above is complete without it/);
  });

  it('re-checks admin rights when the job runs', async () => {
    await queues[0].enqueue({ type: 'logs', actorId: 'U0BOB', hours: 24, responseUrl: slack.mintResponseUrl('U0BOB') });
    const reply = await eventually(() => replies('U0BOB').find((r) => r.text?.includes('Only VPN admins')), 'the refusal');
    expect(reply.text).toMatch(/Only VPN admins can read connection logs/);
  });
});
