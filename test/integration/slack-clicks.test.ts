import { VpnChatopsError } from '../../src/domain/errors';
import { DEFAULT_USERGROUPS, DEFAULT_USERS } from '../../src/local/slack-standin/server';
import { ACTION } from '../../src/slack/ids';
import type { Job } from '../../src/ports';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { blockAction, eventCallback } from '../helpers/slack';
import { describeWith, tempDir } from '../helpers/tools';
import { handler as workerHandler } from '../../src/handlers/worker';

/**
 * Clicks as real Slack sends them: every click on a Home view carries that view's one id, each click
 * is its own payload. The hand-off to the worker is the in-process queue behind a switch that can
 * fail it (with the error LambdaJobQueue throws when the Invoke fails) or hold it; what it cannot show
 * is Lambda's own delivery of the job, which test/integration/lambda-bundle.test.ts covers.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'button clicks and event deliveries: a double delivery is dropped, a new click never',
  () => {
    let bot: TestBot;
    let failNext = 0;
    let held: (() => void)[] | undefined;
    const handedOff: Job[] = [];

    beforeAll(async () => {
      bot = await testBot({
        slack: {
          users: [...DEFAULT_USERS, { id: 'U0CAROL', name: 'carol', real_name: 'Carol Example' }],
          usergroups: DEFAULT_USERGROUPS,
        },
        handOff: async (job, enqueue) => {
          if (failNext > 0) {
            failNext -= 1;
            throw new VpnChatopsError(
              'ENDPOINT',
              'Could not hand the job to the worker function vpn-worker (TimeoutError). Try again in a minute.',
            );
          }
          handedOff.push(job);
          if (held) held.push(() => void enqueue(job));
          else await enqueue(job);
        },
      });
    });
    afterAll(() => bot?.close());
    afterEach(async () => {
      failNext = 0;
      for (const release of held ?? []) release();
      held = undefined;
      await bot.idle();
    });

    const dmTexts = (user: string) => bot.slack.messages(`D${user}`).map((message) => message.text);
    const profiles = (user: string) =>
      bot.slack
        .messages(`D${user}`)
        .flatMap((message) => message.files)
        .filter((file) => file.name.endsWith('.ovpn'));
    const openHome = async (user: string, eventId: string) => {
      const before = bot.slack.homeView(user)?.hash;
      expect(
        (
          await bot.call(
            eventCallback(
              { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: '1700000000.000001' },
              eventId,
            ),
          )
        ).statusCode,
      ).toBe(200);
      await bot.idle();
      await eventually(() => bot.slack.homeView(user) && bot.slack.homeView(user)?.hash !== before, `${user}'s Home`);
    };
    const revokeButtons = (user: string) => bot.homeButtons(user, ACTION.revokeOwn);

    it('acts on every Revoke row of one Home view, one after the other (Slack sends the same view id for each)', async () => {
      for (const device of ['laptop', 'phone']) {
        await bot.command('U0ALICE', `issue ${device}`);
        await bot.idle();
      }
      const certificates = await bot.stores.certificates.byUser('U0ALICE');
      expect(certificates.map((c) => c.device).sort()).toEqual(['laptop', 'phone']);
      await openHome('U0ALICE', 'Ev0CLICKS1');
      const viewId = bot.slack.homeView('U0ALICE')!.id;
      const rows = revokeButtons('U0ALICE');
      expect(rows.map((row) => row.value).sort()).toEqual(certificates.map((c) => c.serial).sort());

      for (const row of rows) {
        expect((await bot.homeClick('U0ALICE', ACTION.revokeOwn, row.value)).statusCode).toBe(200);
        await bot.idle();
        // The worker republishes the Home after a revoke: the same view, under the same id.
        expect(bot.slack.homeView('U0ALICE')?.id).toBe(viewId);
      }
      for (const certificate of certificates)
        expect((await bot.stores.certificates.get(certificate.serial))?.status).toBe('revoked');
    });

    it('issues again when "Issue a VPN profile" is clicked again on the same Home after the first answer', async () => {
      await openHome('U0BOB', 'Ev0CLICKS2');
      expect((await bot.homeClick('U0BOB', ACTION.issue)).statusCode).toBe(200);
      await eventually(() => profiles('U0BOB').length === 1, 'the first profile');
      await bot.idle();
      const [first] = revokeButtons('U0BOB');
      expect((await bot.homeClick('U0BOB', ACTION.revokeOwn, first.value)).statusCode).toBe(200);
      await bot.idle();
      expect((await bot.stores.certificates.get(first.value!))?.status).toBe('revoked');

      expect((await bot.homeClick('U0BOB', ACTION.issue)).statusCode).toBe(200);
      await eventually(() => profiles('U0BOB').length === 2, 'the second profile');
      const certificates = await bot.stores.certificates.byUser('U0BOB');
      expect(certificates.filter((c) => c.status === 'active')).toHaveLength(1);
    });

    it('drops a true double click (two payloads for one button while its job is in flight), then acts on the next click', async () => {
      await bot.command('U0CAROL', 'issue');
      await bot.idle();
      const [certificate] = await bot.stores.certificates.byUser('U0CAROL');
      await openHome('U0CAROL', 'Ev0CLICKS3');
      const [row] = revokeButtons('U0CAROL');
      const revokes = () =>
        handedOff.filter((job) => job.type === 'revoke' && 'actorId' in job && job.actorId === 'U0CAROL').length;

      held = [];
      const [one, two] = [
        await bot.homeClick('U0CAROL', ACTION.revokeOwn, row.value),
        await bot.homeClick('U0CAROL', ACTION.revokeOwn, row.value),
      ];
      expect([one.statusCode, two.statusCode]).toEqual([200, 200]);
      expect(revokes()).toBe(1);
      for (const release of held) release();
      held = undefined;
      await bot.idle();
      expect((await bot.stores.certificates.get(certificate.serial))?.status).toBe('revoked');
      expect(
        (await bot.stores.audit.query({ actor: 'U0CAROL' })).filter((entry) => entry.action === 'certificate.revoke'),
      ).toHaveLength(1);

      // The job has run and answered: the same button clicked again is a new request, and is acted on.
      expect((await bot.homeClick('U0CAROL', ACTION.revokeOwn, row.value)).statusCode).toBe(200);
      expect(revokes()).toBe(2);
    });

    it('releases the click when the hand-off fails: the person is told to try again, and the retry goes through', async () => {
      await bot.command('U0ADMIN', 'issue');
      await bot.idle();
      const confirm = JSON.parse((await bot.command('U0ADMIN', 'revoke')).body!) as {
        blocks: { elements?: { action_id: string; value?: string }[] }[];
      };
      const button = confirm.blocks
        .flatMap((block) => block.elements ?? [])
        .find((element) => element.action_id === ACTION.revokeConfirm)!;
      const responseUrl = bot.slack.mintResponseUrl('U0ADMIN');
      const click = () => bot.call(blockActionOn('1700000000.000042', button.value!, responseUrl));

      failNext = 1;
      expect((await click()).statusCode).toBe(200);
      expect(bot.lastResponse('U0ADMIN')?.text).toMatch(/did not go through, and nothing was changed\. Try again/);
      expect((await bot.stores.certificates.byUser('U0ADMIN')).every((c) => c.status === 'active')).toBe(true);

      expect((await click()).statusCode).toBe(200);
      await bot.idle();
      expect((await bot.stores.certificates.byUser('U0ADMIN')).every((c) => c.status === 'revoked')).toBe(true);
    });

    it('tells a Home click whose hand-off failed in the DM, and acts on the retry (an org-wide install: team null)', async () => {
      await openHome('U0ALICE', 'Ev0CLICKS4');
      const before = profiles('U0ALICE').length;
      const org = { enterprise: { id: 'E0GRID', name: 'Grid Org' } };
      failNext = 1;
      expect((await bot.homeClick('U0ALICE', ACTION.issue, undefined, org)).statusCode).toBe(200);
      expect(dmTexts('U0ALICE').at(-1)).toMatch(/did not go through, and nothing was changed\. Try again/);
      expect((await bot.homeClick('U0ALICE', ACTION.issue, undefined, org)).statusCode).toBe(200);
      await eventually(() => profiles('U0ALICE').length === before + 1, 'the profile');
    });

    it("acts on Slack's retry of an event whose hand-off failed", async () => {
      const before = bot.slack.homeView('U0BOB')?.hash;
      const opened = {
        type: 'app_home_opened',
        user: 'U0BOB',
        channel: 'DU0BOB',
        tab: 'home',
        event_ts: '1700000000.000002',
      };
      failNext = 1;
      await bot.call(eventCallback(opened, 'Ev0RETRIED'));
      await bot.idle();
      expect(bot.slack.homeView('U0BOB')?.hash).toBe(before);
      const retry = await bot.call(
        eventCallback(opened, 'Ev0RETRIED', {
          headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' },
        }),
      );
      expect(retry.statusCode).toBe(200);
      await bot.idle();
      await eventually(() => bot.slack.homeView('U0BOB')?.hash !== before, 'the Home published on the retry');
    });
  },
);

function blockActionOn(messageTs: string, value: string, responseUrl: string) {
  return blockAction('U0ADMIN', ACTION.revokeConfirm, value, responseUrl, messageTs);
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'a click whose worker cannot start (the worker Lambda handler)',
  () => {
    let bot: TestBot;
    const handedOff: Job[] = [];
    const saved = { ...process.env };
    const noCa = tempDir('no-ca');

    beforeAll(async () => {
      // The Lambda Invoke succeeds; the worker function then fails to load its CA, as with an unreadable secret.
      bot = await testBot({
        handOff: async (job) => {
          handedOff.push(job);
          await workerHandler(JSON.parse(JSON.stringify(job)) as Job).catch(() => undefined);
        },
      });
    });
    afterAll(async () => {
      process.env = saved;
      noCa.remove();
      await bot?.close();
    });

    it('releases the click when the worker cannot start, so the retry reaches a worker that can', async () => {
      const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        process.env = { ...saved, ...bot.env, STATE_DIR: noCa.path };
        const responseUrl = bot.slack.mintResponseUrl('U0ADMIN');
        const click = () => bot.call(blockAction('U0ADMIN', ACTION.publishCrl, '', responseUrl, '1700000000.000077'));
        expect((await click()).statusCode).toBe(200);
        expect(bot.lastResponse('U0ADMIN')?.text).toMatch(/could not start its worker, so nothing was done/);

        process.env = { ...saved, ...bot.env };
        expect((await click()).statusCode).toBe(200);
        expect(handedOff.filter((job) => job.type === 'publish-crl')).toHaveLength(2);
        await eventually(
          () =>
            (bot.lastResponse('U0ADMIN')?.text ?? '').match(/openvpn:test|CRL/) &&
            !/could not start/.test(bot.lastResponse('U0ADMIN')?.text ?? ''),
          'the publish report',
        );
      } finally {
        errors.mockRestore();
      }
    });
  },
);
