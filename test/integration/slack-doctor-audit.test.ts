import { writeFileSync } from 'node:fs';
import { buildCrl } from '../../src/pki/crl';
import { ACTION } from '../../src/slack/ids';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { TestBot, testBot } from '../helpers/bot';
import { describeWith } from '../helpers/tools';

const DAY = 86_400_000;

/** Every CSV file the bot shared into `channel`, newest last, as text. */
const csvFiles = (bot: TestBot, channel: string) =>
  bot.slack
    .messages(channel)
    .flatMap((message) => message.files)
    .filter((file) => file.name.endsWith('.csv'))
    .map((file) => ({ name: file.name, text: bot.slack.file(file.id)!.bytes!.toString('utf8') }));

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  '/vpn doctor and /vpn audit through the real Bolt app',
  () => {
    let bot: TestBot;
    beforeAll(async () => {
      bot = await testBot();
    });
    afterAll(() => bot?.close());

    describe('/vpn doctor', () => {
      it('shows admins seed 000 as ❌ with the exact fix, and the checks that pass', async () => {
        // The endpoint's CRL was imported 170 days ago and nobody renewed it.
        writeFileSync(
          bot.crlFile,
          buildCrl({ ca: bot.ca, number: 1n, revocations: [], now: new Date(Date.now() - 170 * DAY) }).pem,
        );
        expect(bot.ackText(await bot.command('U0ADMIN', 'doctor'))).toMatch(/Checking the CA, every endpoint/);
        const report = await eventually(
          () => (bot.lastResponse('U0ADMIN')?.text?.startsWith('Doctor:') ? bot.lastResponse('U0ADMIN') : undefined),
          'the doctor report',
        );
        const text = JSON.stringify(report.blocks);
        expect(report.text).toMatch(/^Doctor: [1-9]\d* failing/);
        expect(text).toContain('❌ *openvpn:test: CRL expiry*: expires in 10.0 days (nextUpdate ');
        expect(text).toContain(
          '→ Run `vpnctl crl publish` now (or press Publish now under `/vpn crl`), then find out why the daily job did not renew it: it renews at 30 days left.',
        );
        // The stand-in grants every scope the manifest asks for, and its clock is ours.
        expect(text).toContain('✅ *Slack scopes*: all 7 present');
        expect(text).toMatch(/✅ \*Clock\*: within 1 s of Slack/);
        expect(text).toContain('✅ *DynamoDB*');
        // Failures come first.
        expect(text.indexOf('❌')).toBeLessThan(text.indexOf('✅'));
      });

      it('is for admins only; the refusal is audited', async () => {
        expect(bot.ackText(await bot.command('U0BOB', 'doctor'))).toMatch(/Only VPN admins can run doctor/);
        expect(
          (await bot.stores.audit.query({ actor: 'U0BOB' })).map((entry) => [entry.action, entry.details?.what]),
        ).toContainEqual(['access.refused', 'run doctor']);
      });
    });

    describe('/vpn audit', () => {
      beforeAll(async () => {
        // Some history: Alice and Bob get certificates, Bob's is revoked, Bob is refused something,
        // and someone got a formula into a field that ends up in the CSV.
        await bot.command('U0ALICE', 'issue laptop');
        await bot.command('U0BOB', 'issue');
        await bot.idle();
        const [bobs] = await bot.stores.certificates.byUser('U0BOB');
        await bot.command('U0ADMIN', 'revoke <@U0BOB>');
        await bot.click(
          'U0ADMIN',
          ACTION.revokeConfirm,
          JSON.stringify({ slackId: 'U0BOB', reason: 'affiliationChanged' }),
        );
        await bot.command('U0BOB', 'list');
        await bot.idle();
        await bot.stores.audit.append({
          actor: 'U0ALICE',
          action: 'access.refused',
          target: '=HYPERLINK("http://evil.example","click")',
          outcome: 'refused',
          details: { what: '+1, "quoted"\nline' },
        });
        expect((await bot.stores.certificates.get(bobs.serial))?.status).toBe('revoked');
      });

      it("uploads every entry as RFC 4180 CSV into the admin's DM only, and audits the export", async () => {
        expect(bot.ackText(await bot.command('U0ADMIN', 'audit'))).toMatch(
          /Exporting the audit trail since .* the CSV arrives in your DM/,
        );
        await eventually(() => bot.lastResponse('U0ADMIN')?.text?.match(/is in your DM from me/), 'the confirmation');
        const upload = bot.slack.callsTo('files.completeUploadExternal').at(-1)!;
        expect(upload.args.channel_id).toBe('DU0ADMIN');
        const [file] = csvFiles(bot, 'DU0ADMIN');
        expect(file.name).toMatch(/^vpn-audit-all-since-\d{4}-\d{2}-\d{2}\.csv$/);
        const lines = file.text.split('\r\n');
        expect(lines[0]).toBe('time,actor,action,target,outcome,details');
        expect(lines.at(-1)).toBe('');
        for (const [action, target] of [
          ['certificate.issue', 'U0ALICE'],
          ['certificate.issue', 'U0BOB'],
          ['certificate.revoke', 'U0BOB'],
          ['access.refused', 'U0BOB'],
        ]) {
          expect(file.text).toMatch(new RegExp(`,${action.replace('.', '\\.')},${target},`));
        }
        // A formula is defused with a leading quote; quotes, commas and line breaks are quoted (RFC 4180).
        expect(file.text).toContain(
          `,access.refused,"'=HYPERLINK(""http://evil.example"",""click"")",refused,"{""what"":""+1, \\""quoted\\""\\nline""}"`,
        );
        const exported = await eventually(
          async () =>
            (await bot.stores.audit.query({ actor: 'U0ADMIN' })).find((entry) => entry.action === 'audit.export'),
          'the audit of the export',
        );
        expect(exported).toMatchObject({ target: 'all', outcome: 'success', details: { entries: lines.length - 2 } });
      });

      it('exports one member: what they did, and what was done to them and their certificates', async () => {
        await bot.command('U0ADMIN', 'audit <@U0BOB> 7d');
        await eventually(
          () => csvFiles(bot, 'DU0ADMIN').find((file) => file.name.startsWith('vpn-audit-U0BOB-')),
          "Bob's export",
        );
        const bob = csvFiles(bot, 'DU0ADMIN').find((file) => file.name.startsWith('vpn-audit-U0BOB-'))!;
        const rows = bob.text.split('\r\n').slice(1, -1);
        expect(rows.length).toBeGreaterThanOrEqual(3);
        expect(rows.every((row) => /U0BOB/.test(row))).toBe(true);
        expect(bob.text).not.toMatch(/U0ALICE/);
      });

      it('refuses non-admins, malformed input and future dates, and does nothing', async () => {
        const uploads = bot.slack.callsTo('files.completeUploadExternal').length;
        expect(bot.ackText(await bot.command('U0BOB', 'audit'))).toMatch(/Only VPN admins can export the audit trail/);
        expect(bot.ackText(await bot.command('U0ADMIN', 'audit yesterday'))).toMatch(
          /"yesterday" is not a start date: use a date like 2026-11-01 or a number of days like 30d/,
        );
        expect(bot.ackText(await bot.command('U0ADMIN', 'audit @bob'))).toMatch(/not a mention/);
        expect(bot.ackText(await bot.command('U0ADMIN', 'audit 2999-01-01'))).toMatch(
          /2999-01-01T00:00:00.000Z is in the future; nothing was exported/,
        );
        await bot.idle();
        expect(bot.slack.callsTo('files.completeUploadExternal')).toHaveLength(uploads);
      });

      it('retries a failed upload, and says so clearly when Slack keeps failing', async () => {
        /** The text of the first reply to `user` after `seen` replies. */
        const replyAfter = (seen: number, what: string) =>
          eventually(
            () =>
              bot.slack
                .responses('U0ADMIN')
                .slice(seen)
                .map((post) => String(post.body.text))
                .find((text) => !text.startsWith('⏳')),
            what,
          );
        await bot.idle();
        bot.slack.failNext('files.completeUploadExternal', { error: 'internal_error' });
        let seen = bot.slack.responses('U0ADMIN').length;
        await bot.command('U0ADMIN', 'audit 1d');
        expect(await replyAfter(seen, 'the upload after one retry')).toMatch(/is in your DM from me/);

        bot.slack.failNext('files.completeUploadExternal', { error: 'internal_error' }, 3);
        const before = bot.slack.callsTo('files.completeUploadExternal').length;
        seen = bot.slack.responses('U0ADMIN').length;
        await bot.command('U0ADMIN', 'audit 2d');
        expect(await replyAfter(seen, 'the failure message')).toMatch(
          /^⚠️ Slack did not accept vpn-audit-all-since-\d{4}-\d{2}-\d{2}\.csv \(internal_error\) after 3 attempts; nothing was lost\. Try again in a few minutes\.$/,
        );
        expect(bot.slack.callsTo('files.completeUploadExternal').length - before).toBe(3);
      }, 30_000);
    });
  },
);
