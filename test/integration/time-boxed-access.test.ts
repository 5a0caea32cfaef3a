import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { approvalPolicy } from '../../src/composition/connect-handler';
import { createAdmin } from '../../src/composition/worker';
import { loadConfig } from '../../src/config';
import type { CertificateRecord } from '../../src/domain/certificate';
import { encodeCn } from '../../src/domain/cn';
import { HOUR_MS, MINUTE_MS } from '../../src/domain/time';
import { blockActionRequest, viewSubmissionRequest } from '../../src/local/slack-requests';
import { signCertificateFor } from '../../src/pki/certificate';
import { decideConnection } from '../../src/services/decide-connection';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { adminAlertsFor } from '../../src/slack/admin-alert';
import { SlackApprovalNotifier } from '../../src/slack/approval-notifier';
import { ACTION, BLOCK, VIEW } from '../../src/slack/ids';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { eventCallback, lambdaEvent } from '../helpers/slack';
import { describeWith, run } from '../helpers/tools';

type Button = { action_id: string; value?: string; text: { text: string } };
const buttonsOf = (blocks: unknown[] | undefined) =>
  (blocks ?? []).flatMap((block) =>
    ((block as { elements?: Button[] }).elements ?? []).filter((element) => element.action_id),
  );

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'time-boxed access through the real Bolt app: /vpn issue … for 8h, the cap, the 15-minute warning and Extend',
  () => {
    let bot: TestBot;
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    beforeAll(async () => {
      bot = await testBot({ env: { MAX_ACCESS_HOURS: '72' } });
    });
    afterAll(() => bot?.close());

    const profiles = (user: string) => bot.slack.messages(`D${user}`).flatMap((message) => message.files);
    const texts = (user: string) => bot.slack.messages(`D${user}`).map((message) => message.text);
    /** The worker's use cases as the scheduler builds them, at `now`. */
    const adminAt = async (now: Date) => {
      const { admin } = await createAdmin(loadConfig(bot.env), bot.db);
      return new VpnAdmin({ ...admin.deps, clock: { now: () => now } });
    };
    /** A certificate recorded as issued at `issuedAt` for `hours`, without the Slack round trip. */
    async function recorded(slackId: string, device: string, issuedAt: Date, hours: number) {
      const cn = encodeCn({ displayName: 'Dana Example', slackId, domain: 'vpn.test', device });
      const issued = signCertificateFor({ ca: bot.ca, cn, publicKey, now: issuedAt, hours });
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

    it('/vpn issue laptop for 8h: a certificate that ends 8 hours from now, and a DM that says so', async () => {
      const before = Date.now();
      expect((await bot.command('U0ALICE', 'issue laptop for 8h')).statusCode).toBe(200);
      await bot.idle();
      const [record] = await bot.stores.certificates.byUser('U0ALICE');
      expect(record.device).toBe('laptop');
      expect(record.notAfter.getTime()).toBeGreaterThanOrEqual(before + 8 * HOUR_MS - 1000);
      expect(record.notAfter.getTime()).toBeLessThanOrEqual(Date.now() + 8 * HOUR_MS);
      expect(profiles('U0ALICE')).toHaveLength(1);
      const ends = record.notAfter.toISOString().slice(11, 16);
      expect(texts('U0ALICE').join('\n')).toMatch(new RegExp(`Your access ends .* ${ends} UTC`));
      const guide = bot.slack.messages('DU0ALICE').find((message) => message.text.includes('is attached'))!;
      expect(JSON.stringify(guide.blocks)).toContain('(8h): then the VPN disconnects you');
      expect(bot.lastResponse('U0ALICE')?.text).toMatch(/is in your DM from me\. Your access ends/);
      const [audit] = (await bot.stores.audit.query({ actor: 'U0ALICE' })).filter(
        (entry) => entry.action === 'certificate.issue',
      );
      expect(audit.details).toMatchObject({ validHours: 8 });
    });

    it('refuses more than MAX_ACCESS_HOURS, naming the cap, and issues nothing', async () => {
      expect((await bot.command('U0BOB', 'issue laptop for 2w')).statusCode).toBe(200);
      await bot.idle();
      expect(bot.lastResponse('U0BOB')?.text).toMatch(
        /You asked for 2w of access; the most this workspace allows is 3d \(MAX_ACCESS_HOURS=72\)/,
      );
      expect(await bot.stores.certificates.byUser('U0BOB')).toEqual([]);
      expect((await bot.stores.audit.query({ actor: 'U0BOB' })).map((entry) => [entry.action, entry.details])).toEqual([
        ['access.refused', { what: 'issue', why: 'MAX_ACCESS_HOURS', hours: 336, maxHours: 72 }],
      ]);
      // A bad duration never reaches the worker.
      const answer = await bot.command('U0BOB', 'issue laptop for 8 hours');
      expect(bot.ackText(answer)).toMatch(/"8 hours" is not a duration/);
      await bot.idle();
      expect(await bot.stores.certificates.byUser('U0BOB')).toEqual([]);
    });

    it("the Home's Issue uses the duration chosen beside it, and offers nothing past the cap", async () => {
      const opened = {
        type: 'app_home_opened',
        user: 'U0BOB',
        channel: 'DU0BOB',
        tab: 'home',
        event_ts: '1700000000.1',
      };
      expect((await bot.call(eventCallback(opened, 'Ev0TIMEBOX1'))).statusCode).toBe(200);
      await bot.idle();
      const home = await eventually(() => bot.slack.homeView('U0BOB'), "Bob's Home");
      const select = (home.view.blocks as { block_id?: string; elements?: Record<string, unknown>[] }[])
        .find((block) => block.block_id === BLOCK.issueActions)!
        .elements!.find((element) => element.action_id === ACTION.issueDuration) as {
        options: { value: string }[];
      };
      expect(select.options.map((option) => option.value)).toEqual(['default', '8', '24', '72']);
      const before = Date.now();
      const view = {
        ...home.view,
        id: home.id,
        hash: home.hash,
        state: {
          values: {
            [BLOCK.issueActions]: {
              [ACTION.issueDuration]: { type: 'static_select', selected_option: { value: '24' } },
            },
          },
        },
      };
      const click = blockActionRequest({
        userId: 'U0BOB',
        actionId: ACTION.issue,
        blockId: BLOCK.issueActions,
        container: { type: 'view', view },
      });
      expect((await bot.call(lambdaEvent(click))).statusCode).toBe(200);
      await bot.idle();
      const [record] = await bot.stores.certificates.byUser('U0BOB');
      expect(record.notAfter.getTime()).toBeGreaterThanOrEqual(before + 24 * HOUR_MS - 1000);
      expect(record.notAfter.getTime()).toBeLessThanOrEqual(Date.now() + 24 * HOUR_MS);
    });

    it('the CSR modal opened from the Home carries the chosen duration to the certificate', async () => {
      const home = bot.slack.homeView('U0BOB')!;
      const view = {
        ...home.view,
        id: home.id,
        hash: home.hash,
        state: {
          values: {
            [BLOCK.issueActions]: {
              [ACTION.issueDuration]: { type: 'static_select', selected_option: { value: '8' } },
            },
          },
        },
      };
      const before = bot.slack.callsTo('views.open').length;
      const click = blockActionRequest({
        userId: 'U0BOB',
        actionId: ACTION.issueWithCsr,
        blockId: BLOCK.issueActions,
        container: { type: 'view', view },
      });
      expect((await bot.call(lambdaEvent(click))).statusCode).toBe(200);
      const modal = bot.slack.callsTo('views.open').slice(before)[0].args.view as {
        private_metadata: string;
        blocks: unknown[];
      };
      expect(JSON.parse(modal.private_metadata)).toEqual({ validHours: 8 });
      expect(JSON.stringify(modal.blocks)).toContain('For 8h, as chosen on the Home tab');

      const dir = mkdtempSync(join(tmpdir(), 'timebox-csr-'));
      try {
        await run('openssl', [
          'req',
          '-new',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'k'),
          '-out',
          join(dir, 'csr'),
          '-subj',
          '/CN=x',
        ]);
        const submit = viewSubmissionRequest({
          userId: 'U0BOB',
          view: { id: 'V0CSR', callback_id: VIEW.csr, private_metadata: modal.private_metadata },
          values: {
            [BLOCK.csrInput]: {
              [BLOCK.csrAction]: { type: 'plain_text_input', value: readFileSync(join(dir, 'csr'), 'utf8') },
            },
            [BLOCK.deviceInput]: { [BLOCK.deviceAction]: { type: 'plain_text_input', value: 'own key' } },
          },
        });
        const started = Date.now();
        expect((await bot.call(lambdaEvent(submit))).statusCode).toBe(200);
        await bot.idle();
        const own = (await bot.stores.certificates.byUser('U0BOB')).find((record) => record.source === 'csr')!;
        expect(own.notAfter.getTime()).toBeGreaterThanOrEqual(started + 8 * HOUR_MS - 1000);
        expect(own.notAfter.getTime()).toBeLessThanOrEqual(Date.now() + 8 * HOUR_MS);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("a time-boxed certificate's Renew (from an expiry reminder) stays time-boxed, never a CERT_DAYS one", async () => {
      const short = await recorded('U0ALICE', 'tablet', new Date(Date.now() - HOUR_MS), 72);
      const started = Date.now();
      expect((await bot.click('U0ALICE', ACTION.renew, short.serial)).statusCode).toBe(200);
      await bot.idle();
      const renewed = (await bot.stores.certificates.byUser('U0ALICE')).find(
        (record) => record.replaces === short.serial,
      )!;
      expect(renewed.device).toBe('tablet-r2');
      expect(renewed.notAfter.getTime()).toBeGreaterThanOrEqual(started + 72 * HOUR_MS - 1000);
      expect(renewed.notAfter.getTime()).toBeLessThanOrEqual(Date.now() + 72 * HOUR_MS);
    });

    it('warns once 15 minutes before the end, even with two runners, and Extend delivers a replacement for as long again', async () => {
      const alice = (await bot.stores.certificates.byUser('U0ALICE')).find((record) => record.device === 'laptop')!;
      const bobs = (await bot.stores.certificates.byUser('U0BOB')).find((record) => record.source === 'csr')!;
      const at = new Date(alice.notAfter.getTime() - 10 * MINUTE_MS);
      const [one, two] = await Promise.all([(await adminAt(at)).sweepExpiry(), (await adminAt(at)).sweepExpiry()]);
      expect([...one.warned, ...two.warned].sort()).toEqual([alice.serial, bobs.serial].sort());
      // Bob's certificate uses his own key: his warning says how to go on, with no Extend that would refuse.
      const [bobsWarning] = bot.slack.messages('DU0BOB').filter((message) => /ends in \d+ minutes/.test(message.text));
      expect(buttonsOf(bobsWarning.blocks)).toEqual([]);
      expect(JSON.stringify(bobsWarning.blocks)).toContain('new certificate signing request');
      // A later round sends nothing again.
      expect((await (await adminAt(new Date(at.getTime() + 5 * MINUTE_MS))).sweepExpiry()).warned).toEqual([]);
      const warnings = bot.slack.messages('DU0ALICE').filter((message) => /ends in \d+ minutes/.test(message.text));
      expect(warnings).toHaveLength(1);
      expect(warnings[0].text).toContain('Your VPN access on *laptop* ends in 10 minutes');
      const [extend] = buttonsOf(warnings[0].blocks);
      expect(extend).toMatchObject({ action_id: ACTION.extend, value: alice.serial, text: { text: 'Extend by 8h' } });

      const before = Date.now();
      expect((await bot.click('U0ALICE', ACTION.extend, alice.serial)).statusCode).toBe(200);
      await bot.idle();
      const replacement = (await bot.stores.certificates.byUser('U0ALICE')).find(
        (record) => record.replaces === alice.serial,
      )!;
      expect(replacement.device).toBe('laptop-r2');
      expect(replacement.notAfter.getTime()).toBeGreaterThanOrEqual(before + 8 * HOUR_MS - 1000);
      expect(replacement.notAfter.getTime()).toBeLessThanOrEqual(Date.now() + 8 * HOUR_MS);
      expect(profiles('U0ALICE').map((file) => file.name)).toContainEqual(expect.stringContaining('laptop-r2'));
      expect(bot.lastResponse('U0ALICE')?.text).toMatch(/Extended: your new VPN profile .* your access now ends/);
      const extended = (await bot.stores.audit.query({ actor: 'U0ALICE' })).filter(
        (entry) => entry.action === 'certificate.extend',
      );
      expect(extended).toEqual([
        expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ old: alice.serial }) }),
      ]);

      // The same button again: answered at once, nothing issued.
      await bot.click('U0ALICE', ACTION.extend, alice.serial);
      expect(bot.lastResponse('U0ALICE')?.text).toMatch(/Already extended: the new profile .* is in your DM/);
      await bot.idle();
      expect(
        (await bot.stores.certificates.byUser('U0ALICE')).filter((record) => record.replaces === alice.serial),
      ).toHaveLength(1);

      // The replacement connects minutes before the old one runs out: the old one is left to expire, not
      // revoked, so an Extend puts nothing on the CRL (on AWS an import would reset every session).
      expect(await (await adminAt(at)).retireReplaced(replacement.serial, 'used')).toBeUndefined();
      expect((await bot.stores.certificates.get(alice.serial))?.status).toBe('active');
    }, 60_000);

    it("refuses Extend on someone else's certificate, an admin's click too (audited), and on an ended, revoked or year-long one", async () => {
      const alice = (await bot.stores.certificates.byUser('U0ALICE')).find((record) => record.device === 'laptop')!;
      const countAll = async () => (await bot.stores.certificates.list()).length;
      const before = await countAll();
      await bot.click('U0ADMIN', ACTION.extend, alice.serial);
      await bot.idle();
      expect(bot.lastResponse('U0ADMIN')?.text).toMatch(/You can only extend your own VPN access/);
      expect((await bot.stores.audit.query({ actor: 'U0ADMIN' })).map((entry) => entry.action)).toContain(
        'access.refused',
      );

      const ended = await recorded('U0ADMIN', 'ended', new Date(Date.now() - 9 * HOUR_MS), 8);
      await bot.click('U0ADMIN', ACTION.extend, ended.serial);
      expect(bot.lastResponse('U0ADMIN')?.text).toMatch(/This access already ended.*`\/vpn issue ended for 8h`/);

      const revoked = await recorded('U0ADMIN', 'gone', new Date(), 8);
      await bot.stores.certificates.markRevoked(revoked.serial, {
        revokedAt: new Date(),
        reason: 'affiliationChanged',
        actor: 'U0ADMIN',
      });
      await bot.click('U0ADMIN', ACTION.extend, revoked.serial);
      expect(bot.lastResponse('U0ADMIN')?.text).toMatch(/This certificate was revoked, so it cannot be extended/);

      const yearLong = await recorded('U0ADMIN', 'desktop', new Date(), 365 * 24);
      await bot.click('U0ADMIN', ACTION.extend, yearLong.serial);
      await bot.idle();
      expect(bot.lastResponse('U0ADMIN')?.text).toMatch(/not time-boxed: it is renewed from its expiry reminder/);
      expect(await countAll()).toBe(before + 3);
    });

    it('the connect gate refuses a time-boxed certificate once it has ended, before TLS would', async () => {
      const bob = (await bot.stores.certificates.byUser('U0BOB')).find((record) => record.source === 'issued')!;
      const config = loadConfig(bot.env);
      const client = new WebClient(bot.slack.token, { slackApiUrl: bot.slack.apiUrl, retryConfig: { retries: 0 } });
      const decide = (now: Date) =>
        decideConnection(
          {
            ...bot.stores,
            notifier: new SlackApprovalNotifier(
              client,
              adminAlertsFor(config, client, () => undefined),
            ),
            clock: { now: () => now },
            policy: approvalPolicy(config),
          },
          {
            connectionId: `cvpn-connection-${now.getTime()}`,
            endpointId: 'openvpn:test',
            commonName: bob.cn,
            publicIp: '198.51.100.7',
            platform: 'mac',
            platformVersion: '14',
            clientVersion: '2.6',
          },
        );
      expect(await decide(new Date(bob.notAfter.getTime() + 1000))).toMatchObject({ allow: false, reason: 'expired' });
      expect(bot.slack.messages('DU0BOB').filter((message) => /approve/i.test(message.text))).toEqual([]);
    });
  },
);
