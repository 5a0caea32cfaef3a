import { generateKeyPairSync } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { approvalPolicy } from '../../src/composition/connect-handler';
import { loadConfig } from '../../src/config';
import type { CertificateRecord } from '../../src/domain/certificate';
import { encodeCn } from '../../src/domain/cn';
import { signCertificateFor } from '../../src/pki/certificate';
import { decideConnection } from '../../src/services/decide-connection';
import { SlackApprovalNotifier } from '../../src/slack/approval-notifier';
import { adminAlertsFor } from '../../src/slack/admin-alert';
import { ACTION } from '../../src/slack/ids';
import { createAdmin } from '../../src/composition/worker';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { describeWith } from '../helpers/tools';

const DAY = 86_400_000;
type Button = { action_id: string; value?: string; text: { text: string } };
const buttonsOf = (blocks: unknown[] | undefined) =>
  (blocks ?? []).flatMap((block) =>
    ((block as { elements?: Button[] }).elements ?? []).filter((element) => element.action_id),
  );

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'expiry reminders, Renew and retirement through the real Bolt app',
  () => {
    let bot: TestBot;
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    /** A certificate of `slackId` for `device` that expires `daysLeft` days from now. */
    async function expiring(
      name: string,
      slackId: string,
      device: string,
      daysLeft: number,
    ): Promise<CertificateRecord> {
      const cn = encodeCn({ displayName: name, slackId, domain: 'vpn.test', device });
      const issuedAt = new Date(Date.now() - (365 - daysLeft) * DAY);
      const issued = signCertificateFor({ ca: bot.ca, cn, publicKey, now: issuedAt });
      const record: CertificateRecord = {
        serial: issued.serial,
        cn,
        slackId,
        device,
        status: 'active',
        issuedAt,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        certPem: issued.certPem,
        source: 'issued',
        issuedBy: slackId,
      };
      await bot.stores.certificates.create(record);
      return record;
    }
    /** What the scheduler function (on AWS) and npm start's timer do once a day. */
    const runDaily = async () => (await createAdmin(loadConfig(bot.env), bot.db)).admin.daily();

    beforeAll(async () => {
      bot = await testBot();
    });
    afterAll(() => bot?.close());

    it('reminds the owner with a Renew button, renews for the same device, and retires the old certificate once the new one connects', async () => {
      const old = await expiring('Alice Example', 'U0ALICE', 'laptop', 6.5);
      await runDaily();
      const reminder = await eventually(
        () => bot.slack.messages('DU0ALICE').find((message) => /expires in 6 days/.test(message.text)),
        'the reminder',
      );
      expect(reminder.text).toContain('Your VPN certificate for *laptop* expires in 6 days');
      const [renew] = buttonsOf(reminder.blocks);
      expect(renew).toMatchObject({ action_id: ACTION.renew, value: old.serial, text: { text: 'Renew' } });
      // The admins' weekly digest lists it; a second run the same day sends nothing twice.
      const digest = await eventually(
        () => bot.slack.messages('DU0ADMIN').find((message) => message.text.includes('expire in the next 30 days')),
        'the digest',
      );
      expect(JSON.stringify(digest.blocks)).toContain(old.cn);
      await runDaily();
      expect(bot.slack.messages('DU0ALICE').filter((message) => /expires in/.test(message.text))).toHaveLength(1);
      expect(bot.slack.messages('DU0ADMIN').filter((message) => message.text.includes('next 30 days'))).toHaveLength(1);

      // Renew: a new profile for the same device, in Alice's DM.
      expect((await bot.click('U0ALICE', ACTION.renew, old.serial)).statusCode).toBe(200);
      const profile = await eventually(
        () =>
          bot.slack
            .messages('DU0ALICE')
            .flatMap((message) => message.files)
            .find((file) => file.name.includes('laptop-r2')),
        'the renewed profile',
      );
      expect(profile.name).toMatch(/^alice-example\.laptop-r2--[a-z2-7]{5}-U0ALICE\.vpn\.test\.ovpn$/);
      expect(bot.slack.file(profile.id)?.bytes?.toString()).toContain('BEGIN PRIVATE KEY');
      const replied = await eventually(
        () => bot.lastResponse('U0ALICE')?.text?.match(/renewed VPN profile.*/)?.[0],
        'the renew reply',
      );
      expect(replied).toContain(`your current certificate (${old.cn}) stops working then`);
      const replacement = (await bot.stores.certificates.byUser('U0ALICE')).find(
        (record) => record.replaces === old.serial,
      )!;
      expect((await bot.stores.certificates.get(old.serial))?.status).toBe('active');

      // The new profile connects: the login prompt is approved, and the old certificate is retired.
      const config = loadConfig(bot.env);
      const client = new WebClient(bot.slack.token, { slackApiUrl: bot.slack.apiUrl, retryConfig: { retries: 0 } });
      const decision = decideConnection(
        {
          ...bot.stores,
          notifier: new SlackApprovalNotifier(
            client,
            adminAlertsFor(config, client, () => undefined),
          ),
          clock: { now: () => new Date() },
          policy: approvalPolicy(config),
        },
        {
          connectionId: 'cvpn-connection-1',
          endpointId: 'openvpn:test',
          commonName: replacement.cn,
          publicIp: '198.51.100.7',
          platform: 'mac',
          platformVersion: '14',
          clientVersion: '2.6',
        },
      );
      const prompt = await eventually(
        () =>
          bot.slack
            .messages('DU0ALICE')
            .find((message) => buttonsOf(message.blocks).some((button) => button.action_id === ACTION.approve)),
        'the login prompt',
      );
      const approve = buttonsOf(prompt.blocks).find((button) => button.action_id === ACTION.approve)!;
      await bot.click('U0ALICE', ACTION.approve, approve.value!);
      expect(await decision).toMatchObject({ allow: true, reason: 'approved' });
      await eventually(
        async () => (await bot.stores.certificates.get(old.serial))?.status === 'revoked',
        'the retirement',
      );
      expect(await bot.stores.certificates.get(old.serial)).toMatchObject({
        reason: 'superseded',
        revokedBy: 'system:renewal-used',
      });
      expect((await bot.stores.certificates.get(replacement.serial))?.status).toBe('active');
      const retired = await eventually(
        () => bot.slack.messages('DU0ALICE').find((message) => message.text.includes('has been retired')),
        'the retirement notice',
      );
      expect(retired.text).toContain(`you connected with the new one, \`${replacement.cn}\``);
      // The old certificate's own logins are refused at the gate from now on.
      const refused = await decideConnection(
        {
          ...bot.stores,
          notifier: new SlackApprovalNotifier(
            client,
            adminAlertsFor(config, client, () => undefined),
          ),
          clock: { now: () => new Date() },
          policy: approvalPolicy(config),
        },
        {
          connectionId: 'cvpn-connection-2',
          endpointId: 'openvpn:test',
          commonName: old.cn,
          publicIp: '198.51.100.7',
          platform: 'mac',
          platformVersion: '14',
          clientVersion: '2.6',
        },
      );
      expect(refused).toMatchObject({ allow: false, reason: 'unknown-certificate' });
      await bot.idle();
    }, 60_000);

    it('refuses a Renew from someone else, or for a certificate far from expiry, and issues nothing', async () => {
      const bobs = await expiring('Bob Example', 'U0BOB', 'phone', 200);
      await bot.click('U0ALICE', ACTION.renew, bobs.serial);
      await eventually(
        () => bot.lastResponse('U0ALICE')?.text?.match(/You can only renew your own certificates/),
        'the refusal',
      );
      await bot.click('U0BOB', ACTION.renew, bobs.serial);
      await eventually(
        () => bot.lastResponse('U0BOB')?.text?.match(/Renewal opens 30 days before expiry/),
        'the early refusal',
      );
      await bot.idle();
      expect((await bot.stores.certificates.byUser('U0BOB')).map((record) => record.serial)).toEqual([bobs.serial]);
    });
  },
);
