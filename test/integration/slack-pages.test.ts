import { ACTION } from '../../src/slack/ids';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { eventCallback } from '../helpers/slack';
import { fleetRecords } from '../helpers/fleet';
import { describeWith } from '../helpers/tools';

type Blocks = { elements?: { action_id?: string; value?: string }[] }[];

/** 60 live certificates and 30 revoked: three `/vpn list` pages of 40, five Home pages of 20. */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  '/vpn list and the admin Home page through every certificate with Next',
  () => {
    let bot: TestBot;
    const fleet = fleetRecords(
      { live: 60, revoked: 30, heavyOwner: 'U0HEAVY', heavyDevices: 10, devicesEach: 10 },
      Date.now(),
    );

    beforeAll(async () => {
      bot = await testBot();
      await bot.stores.certificates.importMany(fleet);
    });
    afterAll(() => bot?.close());

    const serialsIn = (text: string) => fleet.filter((record) => text.includes(record.serial));
    const nextValue = (blocks: unknown, actionId: string) =>
      (blocks as Blocks)
        .flatMap((block) => block.elements ?? [])
        .find((element) => element.action_id === actionId && /^[1-9]/.test(element.value ?? ''))?.value;

    it('lists every certificate once over three pages, each Next replacing the page, the total stated', async () => {
      const before = bot.slack.responses('U0ADMIN').length;
      await bot.command('U0ADMIN', 'list');
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const post = await eventually(
          () =>
            bot.slack
              .responses('U0ADMIN')
              .slice(before)
              .find((p) => JSON.stringify(p.body).includes(`Page ${page} of 3`)),
          `page ${page}`,
        );
        const body = post.body as { blocks?: unknown[]; replace_original?: boolean };
        expect(JSON.stringify(body)).toContain('(90: ');
        expect(body.replace_original === true).toBe(page > 1);
        seen.push(...serialsIn(JSON.stringify(body.blocks)).map((record) => record.serial));
        const next = nextValue(body.blocks, ACTION.listPage);
        if (page < 3) await bot.click('U0ADMIN', ACTION.listPage, next!);
        else expect(next).toBeUndefined();
      }
      expect([...seen].sort()).toEqual(fleet.map((record) => record.serial).sort());
    });

    it("refuses a member's Next click in the worker, showing nothing", async () => {
      await bot.command('U0ADMIN', 'list');
      const first = await eventually(
        () => bot.slack.responses('U0ADMIN').find((p) => JSON.stringify(p.body).includes('Page 1 of 3')),
        'the first page',
      );
      const next = nextValue((first.body as { blocks?: unknown[] }).blocks, ACTION.listPage)!;
      const before = bot.slack.responses('U0BOB').length;
      await bot.click('U0BOB', ACTION.listPage, next);
      await bot.idle();
      const answers = JSON.stringify(bot.slack.responses('U0BOB').slice(before));
      expect(answers).toMatch(/admin/i);
      expect(serialsIn(answers)).toEqual([]);
    });

    it('pages the admin Home with Next, and back to the first page', async () => {
      await bot.call(
        eventCallback(
          { type: 'app_home_opened', user: 'U0ADMIN', channel: 'DU0ADMIN', tab: 'home', event_ts: '1700000000.1' },
          'Ev0PAGES1',
        ),
      );
      await eventually(() => JSON.stringify(bot.slack.homeView('U0ADMIN') ?? '').includes('Page 1 of 5'), 'page 1');
      const next = bot.homeButtons('U0ADMIN', ACTION.homePage).find((button) => button.value?.startsWith('1:'));
      await bot.homeClick('U0ADMIN', ACTION.homePage, next!.value);
      await eventually(() => JSON.stringify(bot.slack.homeView('U0ADMIN') ?? '').includes('Page 2 of 5'), 'page 2');
      const first = bot.homeButtons('U0ADMIN', ACTION.homePage).find((button) => button.value === '0:');
      await bot.homeClick('U0ADMIN', ACTION.homePage, first!.value);
      await eventually(
        () => JSON.stringify(bot.slack.homeView('U0ADMIN') ?? '').includes('Page 1 of 5'),
        'page 1 again',
      );
    });
  },
);
