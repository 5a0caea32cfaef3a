import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { approvalPolicy } from '../../src/composition/connect-handler';
import { loadConfig } from '../../src/config';
import { decideConnection } from '../../src/services/decide-connection';
import { adminAlertsFor } from '../../src/slack/admin-alert';
import { SlackApprovalNotifier } from '../../src/slack/approval-notifier';
import { ACTION, BLOCK } from '../../src/slack/ids';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { eventCallback, signedRequest } from '../helpers/slack';
import { describeWith } from '../helpers/tools';

const FIXTURES = join(__dirname, '..', 'fixtures', 'slack');
type Fixture = { _source: string; _kind: 'command' | 'interaction' | 'event'; body: Record<string, unknown> };

/** A sample with its `$NAME` placeholders filled, encoded as Slack sends that kind of request. */
function request(name: string, values: Record<string, string> = {}) {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
  const filled = JSON.parse(JSON.stringify(fixture.body), (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith('$') && value.slice(1) in values ? values[value.slice(1)] : value,
  ) as Record<string, unknown>;
  const unfilled = JSON.stringify(filled).match(/"\$[A-Z_]+"/);
  if (unfilled) throw new Error(`${name}: no value for ${unfilled[0]}`);
  switch (fixture._kind) {
    case 'command':
      return signedRequest(
        new URLSearchParams(filled as Record<string, string>).toString(),
        'application/x-www-form-urlencoded',
      );
    case 'interaction':
      return signedRequest(
        new URLSearchParams({ payload: JSON.stringify(filled) }).toString(),
        'application/x-www-form-urlencoded',
      );
    case 'event':
      return signedRequest(JSON.stringify(filled), 'application/json');
  }
}

/**
 * Payloads captured from real Slack (docs examples, bolt-js and bolt-python fixtures; each file names its
 * source) signed and handed to the real Lambda entry point, with the stand-in behind the Web API.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'real Slack payloads through the Lambda entry point',
  () => {
    let bot: TestBot;
    let events = 0;
    const eventId = () => `Ev0REAL${++events}`;

    beforeAll(async () => {
      bot = await testBot({ env: { REMEMBER_HOURS: '0' } });
    });
    afterAll(() => bot?.close());

    const profiles = (user: string) =>
      bot.slack
        .messages(`D${user}`)
        .flatMap((message) => message.files)
        .filter((file) => file.name.endsWith('.ovpn'));
    const homePublished = async (user: string) => {
      await bot.idle();
      return (await eventually(() => bot.slack.homeView(user), `${user}'s Home`)).id;
    };

    it('keeps every sample with its source', () => {
      const names = readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));
      expect(names.length).toBeGreaterThanOrEqual(8);
      for (const name of names) {
        const fixture = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Fixture;
        expect(fixture._source).toMatch(/docs\.slack\.dev|slackapi\/bolt-(js|python)/);
        expect(['command', 'interaction', 'event']).toContain(fixture._kind);
      }
    });

    it('/vpn issue from an Enterprise Grid workspace: acked at once, the profile in the DM', async () => {
      const response = await bot.call(
        request('command-vpn-issue-enterprise', { RESPONSE_URL: bot.slack.mintResponseUrl('U0BOB') }),
      );
      expect(response.statusCode).toBe(200);
      expect(bot.ackText(response)).toMatch(/Issuing your certificate/);
      await eventually(
        () => profiles('U0BOB').find((file) => /\.tablet--[a-z2-7]{5}-U0BOB\./.test(file.name)),
        'the tablet profile',
      );
    });

    it('app_home_opened of an org-wide install (authorizations with team_id null): the Home is published', async () => {
      for (const device of ['laptop', 'phone']) await bot.command('U0ALICE', `issue ${device}`);
      await bot.idle();
      expect((await bot.call(request('event-app-home-opened-org-install', { EVENT_ID: eventId() }))).statusCode).toBe(
        200,
      );
      await homePublished('U0ALICE');
      expect(bot.homeButtons('U0ALICE', ACTION.revokeOwn)).toHaveLength(2);
    });

    it('Revoke on two rows of the Home, both with the same view id as Slack sends them: both revoked', async () => {
      const viewId = await homePublished('U0ALICE');
      const serials = bot.homeButtons('U0ALICE', ACTION.revokeOwn).map((button) => button.value!);
      expect(serials).toHaveLength(2);
      for (const serial of serials) {
        expect(
          (await bot.call(request('block-actions-home-revoke', { HOME_VIEW_ID: viewId, SERIAL: serial }))).statusCode,
        ).toBe(200);
        await bot.idle();
      }
      for (const serial of serials) expect((await bot.stores.certificates.get(serial))?.status).toBe('revoked');
    });

    it('"Issue a VPN profile" on the Home of an org-wide install (team: null): the profile in the DM', async () => {
      await bot.call(
        eventCallback(
          { type: 'app_home_opened', user: 'U0BOB', channel: 'DU0BOB', tab: 'home', event_ts: '1606810927.510671' },
          eventId(),
        ),
      );
      const viewId = await homePublished('U0BOB');
      const before = profiles('U0BOB').length;
      expect(
        (await bot.call(request('block-actions-home-issue-org-install', { HOME_VIEW_ID: viewId }))).statusCode,
      ).toBe(200);
      await eventually(() => profiles('U0BOB').length === before + 1, 'the profile');
      expect(profiles('U0BOB').at(-1)?.name).toMatch(/^bob-example--[a-z2-7]{5}-U0BOB\.vpn\.test\.ovpn$/);
    });

    it('a CSR modal submitted from an org-wide install: the mistake is shown next to the field', async () => {
      const response = await bot.call(request('view-submission-csr-org-install'));
      expect(response.statusCode).toBe(200);
      const body = JSON.parse(response.body ?? '{}') as { response_action?: string; errors?: Record<string, string> };
      expect(body.response_action).toBe('errors');
      expect(Object.keys(body.errors ?? {})).toEqual([BLOCK.csrInput]);
    });

    describe('reactions to the login prompt', () => {
      const client = () =>
        new WebClient(bot.slack.token, { slackApiUrl: bot.slack.apiUrl, retryConfig: { retries: 0 } });
      const login = async (cn: string, connectionId: string) => {
        const config = loadConfig(bot.env);
        return decideConnection(
          {
            ...bot.stores,
            notifier: new SlackApprovalNotifier(
              client(),
              adminAlertsFor(config, client(), () => undefined),
            ),
            clock: { now: () => new Date() },
            policy: approvalPolicy(config),
          },
          {
            connectionId,
            endpointId: 'openvpn:test',
            commonName: cn,
            publicIp: '198.51.100.7',
            platform: 'mac',
            platformVersion: '14',
            clientVersion: '2.6',
          },
        );
      };
      // A settled prompt loses its buttons: the one with an Approve button is the login waiting now.
      const prompted = () =>
        eventually(
          () =>
            bot.slack
              .messages('DU0ALICE')
              .find((message) => JSON.stringify(message.blocks ?? []).includes(ACTION.approve)),
          'the login prompt',
        );
      let cn: string;

      beforeAll(async () => {
        await bot.command('U0ALICE', 'issue desk');
        await bot.idle();
        cn = (await bot.stores.certificates.byUser('U0ALICE')).find(
          (c) => c.device === 'desk' && c.status === 'active',
        )!.cn;
      });

      it.each(['event-reaction-added-thumbsup', 'event-reaction-added-skin-tone'])(
        '%s approves the waiting login',
        async (name) => {
          const decision = login(cn, `cvpn-connection-${name}`);
          const prompt = await prompted();
          // The Messages tab is read-only (manifest.yml): the prompt must not depend on reactions alone.
          expect(prompt.text).toMatch(/Approve or react 👍/);
          expect((await bot.call(request(name, { PROMPT_TS: prompt.ts, EVENT_ID: eventId() }))).statusCode).toBe(200);
          expect(await decision).toMatchObject({ allow: true, reason: 'approved' });
        },
      );

      it('a reaction to a file is acknowledged and changes nothing', async () => {
        const audit = (await bot.stores.audit.query({ actor: 'U0ALICE' })).length;
        const calls = bot.slack.calls.length;
        expect((await bot.call(request('event-reaction-added-file', { EVENT_ID: eventId() }))).statusCode).toBe(200);
        await bot.idle();
        expect((await bot.stores.audit.query({ actor: 'U0ALICE' })).length).toBe(audit);
        expect(bot.slack.calls.length).toBe(calls);
      });
    });
  },
);
