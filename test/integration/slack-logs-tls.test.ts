import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { recentTlsLog } from '../helpers/connection-logs';
import { describeWith, tempDir } from '../helpers/tools';

type Reply = { text?: string; blocks?: unknown[] };

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  '/vpn logs tls through the real Bolt app, signed requests and the Slack stand-in',
  () => {
    let bot: TestBot;
    let logs: ReturnType<typeof tempDir>;

    const replies = (user: string) => bot.slack.responses(user).map((post) => post.body as Reply);

    beforeAll(async () => {
      logs = tempDir('slack-logs-tls');
      const logFile = join(logs.path, 'openvpn.log');
      writeFileSync(logFile, recentTlsLog(10 * 60_000));
      bot = await testBot({
        env: {
          VPN_ENDPOINTS: JSON.stringify([
            {
              type: 'openvpn',
              name: 'test',
              management: '127.0.0.1:9',
              crlFile: join(logs.path, 'crl.pem'),
              remote: '127.0.0.1 1194 udp',
              logFile,
            },
          ]),
        },
      });
    });
    afterAll(async () => {
      await bot?.close();
      logs?.remove();
    });

    it('refuses non-admins at once, audits it, and reads nothing', async () => {
      const response = await bot.command('U0BOB', 'logs tls');
      expect(bot.ackText(response)).toMatch(/Only VPN admins can read connection logs/);
      await bot.idle();
      expect(replies('U0BOB')).toEqual([]);
      expect((await bot.stores.audit.query({ actor: 'U0BOB' })).map((entry) => [entry.action, entry.details])).toEqual([
        ['access.refused', { what: 'read connection logs' }],
      ]);
    });

    it('answers a malformed number of hours with the tls usage, and does nothing', async () => {
      expect(bot.ackText(await bot.command('U0ADMIN', 'logs tls soon'))).toMatch(
        /"soon" is not a number of hours\. Use `\/vpn logs tls \[hours\]`/,
      );
      await bot.idle();
      expect(replies('U0ADMIN')).toEqual([]);
    });

    it('groups the failures for an admin by client version × TLS version × cipher × cause, with the likely fixes', async () => {
      const response = await bot.command('U0ADMIN', 'logs tls 2');
      expect(bot.ackText(response)).toMatch(/Reading every endpoint's connection log/);
      const reply = await eventually(
        () => replies('U0ADMIN').find((r) => r.text?.startsWith('TLS negotiation')),
        'the TLS report',
      );
      expect(reply.text).toBe('TLS negotiation, last 2 hours: openvpn:test: 6 failed, mostly cipher-negotiation.');
      const blocks = JSON.stringify(reply.blocks);
      expect(blocks).toContain('*openvpn:test*: *7 attempts* · ✅ 1 successful · ❌ 6 failed');
      expect(blocks).toContain(
        '• *1×* `2.6.14` · `TLSv1.3` · `TLS_AES_256_GCM_SHA384` · *cipher-negotiation*: 1 name, 1 address, offered `AES-128-CBC`',
      );
      expect(blocks).toContain('• *1×* _client ?_ · _TLS ?_ · _cipher ?_ · *crl-expired*: 1 name, 1 address');
      for (const failure of ['revoked', 'tls-crypt', 'protocol-version', 'timeout'])
        expect(blocks).toContain(`*${failure}* (1): `);
      expect(blocks).toContain("The server's CRL is past its next update");
      expect(blocks).toContain('negotiated: `TLSv1.3` `TLS_AES_256_GCM_SHA384` 1');
    });

    it('re-checks admin rights when the job runs', async () => {
      await bot.enqueue({
        type: 'logs-tls',
        actorId: 'U0BOB',
        hours: 24,
        responseUrl: bot.slack.mintResponseUrl('U0BOB'),
      });
      const reply = await eventually(
        () => replies('U0BOB').find((r) => r.text?.includes('Only VPN admins')),
        'the refusal',
      );
      expect(reply.text).toMatch(/Only VPN admins can read connection logs/);
    });
  },
);
