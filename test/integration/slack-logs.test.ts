import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { recentServerLog } from '../helpers/connection-logs';
import { describeWith, tempDir } from '../helpers/tools';

type Reply = { text?: string; blocks?: unknown[] };

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  '/vpn logs through the real Bolt app, signed requests and the Slack stand-in',
  () => {
    let bot: TestBot;
    /** The endpoints' files: the config naming them is built before the bot's own state directory exists. */
    let logs: ReturnType<typeof tempDir>;

    const command = (user: string, text: string) => bot.command(user, text);
    const ackText = (response: Awaited<ReturnType<TestBot['command']>>) => bot.ackText(response);
    const replies = (user: string) => bot.slack.responses(user).map((post) => post.body as Reply);
    const idle = () => bot.idle();

    beforeAll(async () => {
      logs = tempDir('slack-logs');
      const logFile = join(logs.path, 'openvpn.log');
      writeFileSync(logFile, recentServerLog(10 * 60_000));
      const openvpn = {
        type: 'openvpn',
        management: '127.0.0.1:9',
        crlFile: join(logs.path, 'crl.pem'),
        remote: '127.0.0.1 1194 udp',
      };
      bot = await testBot({
        env: {
          VPN_ENDPOINTS: JSON.stringify([
            { ...openvpn, name: 'test', logFile },
            { ...openvpn, name: 'nolog' },
          ]),
        },
      });
    });
    afterAll(async () => {
      await bot?.close();
      logs?.remove();
    });

    it('refuses non-admins at once, audits it, and reads nothing', async () => {
      const response = await command('U0BOB', 'logs');
      expect(ackText(response)).toMatch(/Only VPN admins can read connection logs/);
      await idle();
      expect(replies('U0BOB')).toEqual([]);
      expect((await bot.stores.audit.query({ actor: 'U0BOB' })).map((entry) => [entry.action, entry.details])).toEqual([
        ['access.refused', { what: 'read connection logs' }],
      ]);
    });

    it('answers a malformed number of hours with a clear error, and does nothing', async () => {
      const before = bot.slack.calls.length;
      for (const text of ['logs soon', 'logs 0', 'logs 12 13'])
        expect(ackText(await command('U0ADMIN', text))).toMatch(/number of hours|0 hours|Use `\/vpn logs \[hours\]`/);
      await idle();
      expect(replies('U0ADMIN')).toEqual([]);
      expect(bot.slack.calls.slice(before).map((call) => call.method)).not.toContain('files.getUploadURLExternal');
    });

    it('summarizes each endpoint for an admin and puts the chart in their DM', async () => {
      const response = await command('U0ADMIN', 'logs 6');
      expect(response.statusCode).toBe(200);
      expect(ackText(response)).toMatch(/Reading every endpoint's connection log/);

      const reply = await eventually(
        () => replies('U0ADMIN').find((r) => r.text?.startsWith('Connection attempts')),
        'the summary',
      );
      expect(reply.text).toBe(
        'Connection attempts, last 6 hours: openvpn:test: 6 attempts, 4 failed; openvpn:nolog: not read.',
      );
      const blocks = JSON.stringify(reply.blocks);
      expect(blocks).toContain('*openvpn:test*: *6 attempts* · ✅ 2 successful · ❌ 4 failed');
      for (const reason of ['certificate-revoked', 'client-deny: not-approved', 'crl-expired', 'tls-crypt-failed'])
        expect(blocks).toContain(`\`${reason}\` 1`);
      expect(blocks).toContain('`jane-doe-U0JANE.vpn.test` 3 (1 failed)');
      expect(blocks).toContain('openvpn:nolog: no connection log is configured: add \\"logFile\\"');
      expect(blocks).toContain('📈 A chart of attempts per hour');

      const upload = bot.slack.callsTo('files.completeUploadExternal').at(-1)!;
      expect(upload.args.channel_id).toBe('DU0ADMIN');
      const message = bot.slack.messages('DU0ADMIN').find((m) => m.files?.length)!;
      expect(message.text).toMatch(
        /^Connection attempts per hour on openvpn:test, .*: green successful, red failed, grey other\. 6 attempts, 4 failed\.$/,
      );
      const png = bot.slack.file(message.files![0].id)!.bytes!;
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(message.files![0].name).toBe('connection-attempts-openvpn-test.png');
    });

    it('caps a huge window and says so', async () => {
      await command('U0ADMIN', 'logs 100000');
      const reply = await eventually(
        () => replies('U0ADMIN').find((r) => JSON.stringify(r.blocks ?? []).includes('You asked for 100,000 hours')),
        'the capped summary',
      );
      expect(reply.text).toMatch(/^Connection attempts, last 168 hours:/);
    });

    it('still replies with the whole summary when the chart cannot be uploaded', async () => {
      // Every one of the upload's attempts is refused.
      bot.slack.failNext('files.completeUploadExternal', { error: 'not_in_channel' }, 3);
      const before = replies('U0ADMIN').length;
      await command('U0ADMIN', 'logs 2');
      const reply = await eventually(
        () =>
          replies('U0ADMIN')
            .slice(before)
            .find((r) => r.text?.startsWith('Connection attempts')),
        'the summary',
        20_000,
      );
      const blocks = JSON.stringify(reply.blocks);
      expect(blocks).toContain('*6 attempts*');
      expect(blocks).toMatch(
        /The chart of attempts per hour could not be sent: .*not_in_channel\) after 3 attempts.*The summary above is complete without it/,
      );
    }, 30_000);

    it('retries the chart upload when Slack fails it once', async () => {
      bot.slack.failNext('files.completeUploadExternal', { error: 'internal_error' });
      const before = replies('U0ADMIN').length;
      const charts = () =>
        bot.slack
          .messages('DU0ADMIN')
          .filter((m) => m.files?.some((f) => f.name === 'connection-attempts-openvpn-test.png')).length;
      const chartsBefore = charts();
      await command('U0ADMIN', 'logs 3');
      const reply = await eventually(
        () =>
          replies('U0ADMIN')
            .slice(before)
            .find((r) => r.text?.startsWith('Connection attempts')),
        'the summary',
        20_000,
      );
      expect(JSON.stringify(reply.blocks)).toContain('📈 A chart of attempts per hour');
      expect(charts()).toBe(chartsBefore + 1);
    }, 30_000);

    it('re-checks admin rights when the job runs', async () => {
      await bot.enqueue({ type: 'logs', actorId: 'U0BOB', hours: 24, responseUrl: bot.slack.mintResponseUrl('U0BOB') });
      const reply = await eventually(
        () => replies('U0BOB').find((r) => r.text?.includes('Only VPN admins')),
        'the refusal',
      );
      expect(reply.text).toMatch(/Only VPN admins can read connection logs/);
    });
  },
);
