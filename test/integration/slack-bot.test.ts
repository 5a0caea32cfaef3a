import { existsSync, readFileSync } from 'node:fs';
import {
  DescribeClientVpnConnectionsCommand,
  EC2Client,
  ExportClientVpnClientCertificateRevocationListCommand,
  ExportClientVpnClientConfigurationCommand,
  ImportClientVpnClientCertificateRevocationListCommand,
  TerminateClientVpnConnectionsCommand,
} from '@aws-sdk/client-ec2';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import {
  DEFAULT_USERGROUPS,
  DEFAULT_USERS,
  SlackStandIn,
  startSlackStandIn,
} from '../../src/local/slack-standin/server';
import { caMaterial } from '../../src/pki/ca';
import { parseCrl } from '../../src/pki/crl';
import { ACTION, BLOCK, VIEW } from '../../src/slack/ids';
import { createSlackLambdaHandler } from '../../src/composition/slack-lambda';
import { inProcessJobs } from '../../src/composition/worker';
import type { InProcessJobQueue } from '../../src/slack/jobs/in-process-queue';
import { TestBot, testBot } from '../helpers/bot';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { blockAction, botEnv, eventCallback, signedRequest, slashCommand, viewSubmission } from '../helpers/slack';
import { eventually } from '../helpers/eventually';
import { describeWith, run, tempDir } from '../helpers/tools';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { startBot } from '../../src/composition/local-bot';

type Response = { statusCode: number; body?: string; headers?: Record<string, string> };

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the Slack bot: real Bolt app, signed requests, Web API stand-in',
  () => {
    let slack: SlackStandIn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let dir: ReturnType<typeof tempDir>;
    let handler: (event: unknown, context: unknown) => Promise<unknown>;
    let crlFile: string;
    let env: Record<string, string | undefined>;
    const queues: InProcessJobQueue[] = [];

    const call = async (event: unknown) => (await handler(event, {})) as Response;
    const command = (user: string, text: string) => call(slashCommand(user, text, slack.mintResponseUrl(user)));
    const ackText = (response: Response) => (JSON.parse(response.body ?? '{}') as { text?: string }).text ?? '';
    const lastResponse = (user: string) =>
      slack.responses(user).at(-1)?.body as
        { text?: string; replace_original?: boolean; blocks?: unknown[] } | undefined;
    const stores = () => storesFor(db);

    beforeAll(async () => {
      const users = [
        ...DEFAULT_USERS,
        { id: 'U0EXT', name: 'ext', real_name: 'Shared Channel Guest', team_id: 'T0OTHER', is_stranger: true },
        { id: 'U0GUEST', name: 'guest', real_name: 'Guest Account', is_restricted: true },
        { id: 'U0CAROL', name: 'carol', real_name: 'Carol Example' },
      ];
      [slack, db] = await Promise.all([startSlackStandIn({ users, usergroups: DEFAULT_USERGROUPS }), testDatabase()]);
      dir = tempDir('slack-bot');
      crlFile = join(dir.path, 'crl.pem');
      await new LocalCaStore(dir.path).save(caMaterial(await testCa()));
      env = botEnv(slack, db.tableName, dir.path, {
        VPN_ENDPOINTS: JSON.stringify([
          { type: 'openvpn', name: 'test', management: '127.0.0.1:9', crlFile, remote: '127.0.0.1 1194 udp' },
        ]),
      });
      handler = createSlackLambdaHandler(
        () => loadConfig(env),
        async (config, database) => {
          const queue = await inProcessJobs(config, database);
          queues.push(queue);
          return queue;
        },
      ) as typeof handler;
    });
    afterAll(async () => {
      // Jobs still running in the background (Home refreshes) finish before their Slack and table go away.
      await Promise.all(queues.map((queue) => queue.idle()));
      await slack?.stop();
      await db?.drop();
      dir?.remove();
    });

    describe('request verification', () => {
      it.each([
        ['a forged signature', { secret: 'not-the-secret' }],
        ['a timestamp older than 5 minutes', { timestamp: Math.floor(Date.now() / 1000) - 301 }],
        ['no signature header', { omit: ['x-slack-signature'] }],
        ['no timestamp header', { omit: ['x-slack-request-timestamp'] }],
      ])('rejects %s with 401 and does nothing', async (_label, options) => {
        const before = slack.calls.length;
        const response = await call(slashCommand('U0ALICE', 'issue', slack.mintResponseUrl('U0ALICE'), options));
        expect(response.statusCode).toBe(401);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(slack.calls.length).toBe(before);
        expect(await stores().certificates.byUser('U0ALICE')).toEqual([]);
      });
    });

    it('answers help, and unknown or malformed commands, with help', async () => {
      const help = await command('U0BOB', 'help');
      expect(help.statusCode).toBe(200);
      expect(ackText(help)).toMatch(/issue/);
      expect(ackText(await command('U0BOB', 'frobnicate'))).toMatch(/I don't know "frobnicate"/);
      expect(ackText(await command('U0ADMIN', 'revoke <#C0123|general>'))).toMatch(/That is a channel/);
      expect(ackText(await command('U0BOB', 'x'.repeat(4000)))).toMatch(/characters long/);
    });

    it('issues: acks at once, uploads the profile only into the DM, records the certificate', async () => {
      const response = await command('U0ALICE', 'issue laptop');
      expect(response.statusCode).toBe(200);
      expect(ackText(response)).toMatch(/Issuing your certificate/);

      const upload = await eventually(() => slack.callsTo('files.completeUploadExternal')[0], 'the profile upload');
      expect(upload.args.channel_id).toBe('DU0ALICE');
      const [record] = await eventually(async () => {
        const mine = await stores().certificates.byUser('U0ALICE');
        return mine.length ? mine : undefined;
      }, 'the certificate record');
      expect(record).toMatchObject({
        cn: expect.stringMatching(/^alice-example\.laptop--[a-z2-7]{5}-U0ALICE\.vpn\.test$/),
        status: 'active',
        device: 'laptop',
      });
      const file = await eventually(
        () => slack.messages('DU0ALICE').flatMap((m) => m.files ?? [])[0],
        'the file message',
      );
      const profile = slack.file(file.id)!.bytes!.toString('utf8');
      expect(profile).toMatch(/<cert>[\s\S]*<\/cert>\n<key>\n-----BEGIN PRIVATE KEY-----/);
      expect(profile).toContain('remote 127.0.0.1 1194');
      await eventually(() => lastResponse('U0ALICE')?.text?.includes('is in your DM'), 'the confirmation');
      await eventually(
        () =>
          slack
            .messages('DU0ALICE')
            .some((m) => /AWS VPN Client|OpenVPN Connect/.test(JSON.stringify(m.blocks ?? m.text))),
        'the setup steps',
      );

      // The key never appears anywhere but the owner's DM.
      const elsewhere = JSON.stringify([
        slack.calls.filter((c) => c.method !== 'files.completeUploadExternal').map((c) => c.args),
        slack.responses('U0ALICE'),
      ]);
      expect(elsewhere).not.toMatch(/PRIVATE KEY/);
    });

    it("acks /vpn issue within 1 s even when the worker's Slack calls are slow", async () => {
      slack.delay('users.info', 4_000);
      slack.delay('files.getUploadURLExternal', 4_000);
      try {
        const started = performance.now();
        const response = await command('U0BOB', 'issue phone');
        const elapsed = performance.now() - started;
        expect(response.statusCode).toBe(200);
        expect(elapsed).toBeLessThan(1_000);
        await eventually(
          () => slack.callsTo('files.completeUploadExternal').find((c) => c.args.channel_id === 'DU0BOB'),
          'the slow upload',
          20_000,
        );
      } finally {
        slack.delay('users.info', 0);
        slack.delay('files.getUploadURLExternal', 0);
      }
    }, 30_000);

    it('retries a profile upload that Slack fails with 5xx, so the new certificate stays active', async () => {
      // Three 503s outlast the WebClient's own retries of that one call: the second whole upload succeeds.
      slack.failNext('files.completeUploadExternal', { status: 503 }, 3);
      await command('U0BOB', 'issue tablet');
      await eventually(
        () => lastResponse('U0BOB')?.text?.includes('tablet') && lastResponse('U0BOB')?.text?.includes('is in your DM'),
        'the confirmation',
        20_000,
      );
      const tablet = (await stores().certificates.byUser('U0BOB')).find((c) => c.device === 'tablet')!;
      expect(tablet.status).toBe('active');
      expect(
        slack
          .messages('DU0BOB')
          .flatMap((m) => m.files ?? [])
          .filter((f) => f.name === `${tablet.cn}.ovpn`),
      ).toHaveLength(1);
      expect(
        slack.callsTo('files.getUploadURLExternal').filter((c) => String(c.args.filename).includes(tablet.cn)),
      ).toHaveLength(2);
    }, 30_000);

    it('revokes the certificate again when the upload fails, so no orphan is left valid', async () => {
      slack.failNext('files.completeUploadExternal', { error: 'channel_not_found' });
      await command('U0ADMIN', 'issue desktop');
      const failure = await eventually(
        () => lastResponse('U0ADMIN')?.text?.match(/could not be delivered.*/)?.[0],
        'the failure message',
      );
      expect(failure).toMatch(/channel_not_found.*The certificate was revoked again/);
      const mine = await stores().certificates.byUser('U0ADMIN');
      expect(mine.map((c) => c.status)).toEqual(['revoked']);
      // Revoked the full way: it may have reached the DM half-way, so the CRL lists it too.
      await eventually(
        () => parseCrl(readFileSync(crlFile, 'utf8')).revocations.some((r) => r.serial === mine[0].serial),
        'the CRL entry',
      );
    });

    it('refuses certificates to guests and to people from other organizations, and audits it', async () => {
      await command('U0EXT', 'issue');
      await eventually(() => lastResponse('U0EXT')?.text?.match(/other organizations/), 'the Slack Connect refusal');
      await command('U0GUEST', 'issue');
      await eventually(() => lastResponse('U0GUEST')?.text?.match(/Guest accounts/), 'the guest refusal');
      expect(await stores().certificates.byUser('U0EXT')).toEqual([]);
      expect(await stores().certificates.byUser('U0GUEST')).toEqual([]);
      expect((await stores().audit.query({ target: 'U0EXT' })).map((e) => e.action)).toEqual(['access.refused']);
    });

    it('refuses admin commands to non-admins, audits the refusal, and confirms before revoking', async () => {
      expect(ackText(await command('U0BOB', 'revoke <@U0ALICE>'))).toMatch(/Only VPN admins/);
      expect(ackText(await command('U0BOB', 'list'))).toMatch(/Only VPN admins/);
      expect(ackText(await command('U0BOB', 'crl'))).toMatch(/Only VPN admins/);
      const refusals = await stores().audit.query({ actor: 'U0BOB' });
      expect(refusals.filter((e) => e.action === 'access.refused')).toHaveLength(3);

      // A forged button from a non-admin is re-checked on the server when it runs.
      await call(
        blockAction(
          'U0BOB',
          ACTION.revokeConfirm,
          JSON.stringify({ slackId: 'U0ALICE', reason: 'affiliationChanged' }),
          slack.mintResponseUrl('U0BOB'),
        ),
      );
      await eventually(() => lastResponse('U0BOB')?.text?.match(/Only VPN admins/), 'the refusal');
      expect((await stores().certificates.byUser('U0ALICE')).every((c) => c.status === 'active')).toBe(true);
      expect(ackText(await command('U0ADMIN', 'revoke <@U0NOBODY>'))).toMatch(/has no certificates/);
    });

    it('refuses removeFromCRL as a reason, typed or in a forged button, and revokes nothing', async () => {
      const typed = await command('U0ADMIN', 'revoke <@U0ALICE> removeFromCRL');
      expect(ackText(typed)).toMatch(/removeFromCRL is not a reason to revoke: it only takes an entry off a delta CRL/);
      expect(typed.body).not.toContain(ACTION.revokeConfirm);

      const responseUrl = slack.mintResponseUrl('U0ADMIN');
      const before = slack.responses('U0ADMIN').length;
      await call(
        blockAction(
          'U0ADMIN',
          ACTION.revokeConfirm,
          JSON.stringify({ slackId: 'U0ALICE', reason: 'removeFromCRL' }),
          responseUrl,
          '1700000000.000009',
        ),
      );
      const refusal = await eventually(
        () =>
          slack
            .responses('U0ADMIN')
            .slice(before)
            .find((r) => /removeFromCRL is not a reason to revoke/.test(JSON.stringify(r.body))),
        'the refusal',
      );
      expect(JSON.stringify(refusal.body)).toMatch(/Use one of: unspecified/);
      // Refused before work started: no "Revoking…" progress, and Alice's certificates still work.
      expect(
        slack
          .responses('U0ADMIN')
          .slice(before)
          .some((r) => /Revoking/.test(JSON.stringify(r.body))),
      ).toBe(false);
      const alice = await stores().certificates.byUser('U0ALICE');
      expect(alice.length).toBeGreaterThan(0);
      expect(alice.every((c) => c.status === 'active')).toBe(true);
    });

    it('revokes @user after the admin confirms, and reports the three steps', async () => {
      const confirm = await command('U0ADMIN', 'revoke <@U0ALICE> affiliationChanged');
      const body = JSON.parse(confirm.body!) as { blocks: { elements?: { action_id: string; value?: string }[] }[] };
      const button = body.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTION.revokeConfirm)!;
      expect(JSON.parse(button.value!)).toEqual({ slackId: 'U0ALICE', reason: 'affiliationChanged' });

      const responseUrl = slack.mintResponseUrl('U0ADMIN');
      // A double click: the second click on the same message does nothing.
      const [clicked, again] = await Promise.all([
        call(blockAction('U0ADMIN', ACTION.revokeConfirm, button.value!, responseUrl, '1700000000.000001')),
        call(blockAction('U0ADMIN', ACTION.revokeConfirm, button.value!, responseUrl, '1700000000.000001')),
      ]);
      expect([clicked.statusCode, again.statusCode]).toEqual([200, 200]);
      const report = await eventually(
        () =>
          slack
            .responses('U0ADMIN')
            .find((r) => r.body.replace_original === true && /openvpn:test/.test(JSON.stringify(r.body))),
        'the report',
      );
      expect(JSON.stringify(report.body)).toMatch(/CRL/);
      const alice = await stores().certificates.byUser('U0ALICE');
      expect(alice.every((c) => c.status === 'revoked')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(
        slack
          .responses('U0ADMIN')
          .filter((r) => /openvpn:test/.test(JSON.stringify(r.body)) && r.body.replace_original === true),
      ).toHaveLength(1);
      const crl = parseCrl(readFileSync(crlFile, 'utf8'));
      for (const certificate of alice) expect(crl.revocations.map((r) => r.serial)).toContain(certificate.serial);
    });

    it('lets a member revoke their own certificates: nothing to revoke at first, then confirm, progress and the report', async () => {
      const auditBefore = (await stores().audit.query({ actor: 'U0CAROL' })).length;
      const nothing = await command('U0CAROL', 'revoke');
      expect(nothing.statusCode).toBe(200);
      expect(ackText(nothing)).toMatch(/You have no certificates to revoke\./);
      expect(JSON.stringify(JSON.parse(nothing.body!))).not.toContain(ACTION.revokeConfirm);
      expect((await stores().audit.query({ actor: 'U0CAROL' })).length).toBe(auditBefore);

      await command('U0CAROL', 'issue laptop');
      await eventually(() => lastResponse('U0CAROL')?.text?.includes('is in your DM'), "Carol's profile");
      const [laptop] = await stores().certificates.byUser('U0CAROL');

      const confirm = await command('U0CAROL', 'revoke');
      const body = JSON.parse(confirm.body!) as {
        text: string;
        blocks: { elements?: { action_id: string; value?: string }[] }[];
      };
      expect(body.text).toMatch(/Revoke your VPN certificates\?/);
      expect(JSON.stringify(body.blocks)).toContain(laptop.serial);
      const button = body.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTION.revokeConfirm)!;
      expect(JSON.parse(button.value!)).toEqual({ slackId: 'U0CAROL', reason: 'keyCompromise' });
      // Nothing happens before the click.
      expect((await stores().certificates.get(laptop.serial))?.status).toBe('active');

      const responseUrl = slack.mintResponseUrl('U0CAROL');
      expect((await call(blockAction('U0CAROL', ACTION.revokeConfirm, button.value!, responseUrl))).statusCode).toBe(
        200,
      );
      const report = await eventually(
        () =>
          slack
            .responses('U0CAROL')
            .find((r) => r.body.replace_original === true && /openvpn:test/.test(JSON.stringify(r.body))),
        'the report',
      );
      const progress = slack
        .responses('U0CAROL')
        .find(
          (r) => r.body.replace_original === true && /Revoking: closing the database gate/.test(String(r.body.text)),
        );
      expect(progress).toBeDefined();
      expect(slack.responses('U0CAROL').indexOf(progress!)).toBeLessThan(slack.responses('U0CAROL').indexOf(report));
      expect(JSON.stringify(report.body)).toContain(laptop.cn);
      expect(await stores().certificates.get(laptop.serial)).toMatchObject({
        status: 'revoked',
        reason: 'keyCompromise',
        revokedBy: 'U0CAROL',
      });
      expect(
        (await stores().audit.query({ actor: 'U0CAROL' })).filter((e) => e.action === 'certificate.revoke'),
      ).toHaveLength(1);
      await eventually(
        () => parseCrl(readFileSync(crlFile, 'utf8')).revocations.some((r) => r.serial === laptop.serial),
        'the CRL entry',
      );
    });

    it('answers /vpn revoke @bot clearly and changes nothing', async () => {
      // Earlier tests' Home refreshes settle first, so any Slack call counted below is this command's.
      await Promise.all(queues.map((queue) => queue.idle()));
      const callsBefore = slack.calls.length;
      const auditBefore = (await stores().audit.query({ actor: 'U0ADMIN' })).length;
      const response = await command('U0ADMIN', 'revoke <@UBOT>');
      expect(response.statusCode).toBe(200);
      expect(ackText(response)).toMatch(/<@UBOT> has no certificates to revoke\./);
      expect(JSON.stringify(JSON.parse(response.body!))).not.toContain(ACTION.revokeConfirm);
      await Promise.all(queues.map((queue) => queue.idle()));
      expect(slack.calls.length).toBe(callsBefore);
      expect((await stores().audit.query({ actor: 'U0ADMIN' })).length).toBe(auditBefore);
    });

    it('re-checks "Publish now" on the server: a non-admin\'s click is refused, audited, and publishes nothing', async () => {
      const crlNow = () => (existsSync(crlFile) ? readFileSync(crlFile, 'utf8') : undefined);
      const crlBefore = crlNow();
      const recordBefore = await stores().crlState.getEndpoint('openvpn:test');
      const responseUrl = slack.mintResponseUrl('U0BOB');
      expect((await call(blockAction('U0BOB', ACTION.publishCrl, '', responseUrl))).statusCode).toBe(200);
      await eventually(() => lastResponse('U0BOB')?.text?.match(/Only VPN admins can publish the CRL/), 'the refusal');
      const bobs = await stores().audit.query({ actor: 'U0BOB' });
      expect(bobs.filter((e) => e.action === 'access.refused' && e.details?.what === 'publish the CRL')).toHaveLength(
        1,
      );
      expect(bobs.filter((e) => e.action === 'crl.publish')).toEqual([]);
      expect(crlNow()).toBe(crlBefore);
      expect(await stores().crlState.getEndpoint('openvpn:test')).toEqual(recordBefore);
    });

    it.each([ACTION.revokeCertificate, ACTION.revokeOwn])(
      "re-checks %s on the server: a non-admin cannot revoke someone else's serial",
      async (actionId) => {
        const bobs = (await stores().certificates.byUser('U0BOB')).find((c) => c.status === 'active');
        expect(bobs).toBeDefined();
        const refusals = async () =>
          (await stores().audit.query({ actor: 'U0ALICE' })).filter(
            (e) => e.action === 'access.refused' && e.details?.what === "revoke other people's certificates",
          ).length;
        const before = await refusals();
        const seen = slack.responses('U0ALICE').length;
        const responseUrl = slack.mintResponseUrl('U0ALICE');
        expect((await call(blockAction('U0ALICE', actionId, bobs!.serial, responseUrl))).statusCode).toBe(200);
        await eventually(
          () =>
            slack
              .responses('U0ALICE')
              .slice(seen)
              .find((r) => /Only VPN admins can revoke other people's certificates/.test(String(r.body.text))),
          'the refusal',
        );
        expect(await refusals()).toBe(before + 1);
        expect((await stores().certificates.get(bobs!.serial))?.status).toBe('active');
        expect(
          (await stores().audit.query({ actor: 'U0ALICE' })).filter((e) => e.action === 'certificate.revoke'),
        ).toEqual([]);
      },
    );

    it('answers 200 when a listener throws (DynamoDB failing), so Slack does not retry the event', async () => {
      // A table that does not exist: every store call fails, as in an outage or a missing grant.
      const broken = createSlackLambdaHandler(
        () => loadConfig({ ...env, TABLE_NAME: `${db.tableName}-missing` }),
        async (config, database) => {
          const queue = await inProcessJobs(config, database);
          queues.push(queue);
          return queue;
        },
      ) as typeof handler;
      const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const thumbsUp = {
          type: 'reaction_added',
          user: 'U0BOB',
          reaction: '+1',
          item: { type: 'message', channel: 'DU0BOB', ts: '1700000000.000100' },
          event_ts: '1700000001.000000',
        };
        const response = (await broken(eventCallback(thumbsUp, 'Ev0THROWS'), {})) as Response;
        expect(response.statusCode).toBe(200);
        expect(
          errors.mock.calls.map(([line]) => String(line)).find((line) => line.includes('listener failed')),
        ).toMatch(/does not exist|not found/i);
      } finally {
        errors.mockRestore();
      }
    });

    it.each([
      ['known (SLACK_BOT_ID, SLACK_BOT_USER_ID)', {}, 0],
      ['not configured', { SLACK_BOT_ID: undefined, SLACK_BOT_USER_ID: undefined }, 1],
    ])('calls auth.test on a cold start only when the bot ids are %s', async (_label, ids, expected) => {
      const before = slack.callsTo('auth.test').length;
      const cold = createSlackLambdaHandler(
        () => loadConfig({ ...env, ...ids }),
        async (config, database) => {
          const queue = await inProcessJobs(config, database);
          queues.push(queue);
          return queue;
        },
      ) as typeof handler;
      for (const text of ['help', 'status']) {
        expect(
          ((await cold(slashCommand('U0BOB', text, slack.mintResponseUrl('U0BOB')), {})) as Response).statusCode,
        ).toBe(200);
      }
      expect(slack.callsTo('auth.test').length - before).toBe(expected);
    });

    it('shows status with exact expiry dates, and lists for admins', async () => {
      const [bob] = await stores().certificates.byUser('U0BOB');
      expect(ackText(await command('U0BOB', 'status'))).toContain(bob.notAfter.toISOString().slice(0, 10));
      expect(JSON.stringify(JSON.parse((await command('U0ADMIN', 'list <@U0BOB>')).body!))).toContain(bob.serial);
      // Every certificate is a table-wide read, so it runs as a job and arrives through response_url.
      expect(ackText(await command('U0ADMIN', 'list'))).toMatch(/Listing every certificate/);
      await eventually(() => JSON.stringify(lastResponse('U0ADMIN')).includes(bob.serial), 'the full list');
    });

    it('reports CRL health to admins after reading it back', async () => {
      expect(ackText(await command('U0ADMIN', 'crl'))).toMatch(/Reading the CRL back/);
      await eventually(() => JSON.stringify(lastResponse('U0ADMIN')).match(/openvpn:test/), 'the CRL health');
    });

    it('publishes the App Home once per event id, with admin sections only for admins', async () => {
      const opened = (user: string, id: string) =>
        call(
          eventCallback(
            { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
            id,
          ),
        );
      const publishesFor = (user: string) =>
        slack.callsTo('views.publish').filter((c) => c.args.user_id === user).length;
      const before = publishesFor('U0ALICE');
      // Slack's "immediate" retry of the same delivery arrives while the first is still being handled.
      const [first, retry] = await Promise.all([opened('U0ALICE', 'Ev0HOME1'), opened('U0ALICE', 'Ev0HOME1')]);
      expect([first.statusCode, retry.statusCode]).toEqual([200, 200]);
      await eventually(() => publishesFor('U0ALICE') > before, "Alice's home");
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(publishesFor('U0ALICE')).toBe(before + 1);
      await opened('U0ADMIN', 'Ev0HOME2');
      await opened('U0BOB', 'Ev0HOME3');
      await eventually(() => slack.homeView('U0BOB'), "Bob's home");
      const admin = await eventually(() => slack.homeView('U0ADMIN'), 'the admin home');
      expect(JSON.stringify(admin)).toMatch(/CRL/);
      // The audit trail reads as sentences, each actor a mention that Slack shows by name.
      const trail = JSON.stringify(admin).split('Latest audit entries')[1];
      expect(trail).toMatch(
        /UTC · (<@U0[A-Z]+>|system:[a-z-]+|vpnctl:\S+) (revoked|was issued|issued|published|ended) /,
      );
      expect(trail).not.toContain('certificate.revoke ·');
      expect(JSON.stringify(slack.homeView('U0BOB'))).not.toMatch(/Audit/i);
      // The messages tab is not the Home tab.
      await call(
        eventCallback(
          { type: 'app_home_opened', user: 'U0BOB', channel: 'DU0BOB', tab: 'messages', event_ts: '1' },
          'Ev0MSG',
        ),
      );
    });

    it('runs the same app over HTTP on 127.0.0.1 for local runs', async () => {
      const port = await freeTcpPort();
      const bot = await startBot(loadConfig({ ...env, PORT: String(port) }), db, 'http');
      try {
        expect(bot.url).toBe(`http://127.0.0.1:${port}/slack/events`);
        const post = (event: ReturnType<typeof slashCommand>) =>
          fetch(bot.url!, { method: 'POST', headers: event.headers, body: event.body });
        const help = await post(slashCommand('U0BOB', 'help', slack.mintResponseUrl('U0BOB')));
        expect(help.status).toBe(200);
        expect(((await help.json()) as { text: string }).text).toMatch(/issue/);
        expect(
          (await post(slashCommand('U0BOB', 'help', slack.mintResponseUrl('U0BOB'), { secret: 'forged' }))).status,
        ).toBe(401);
      } finally {
        await bot.stop();
      }
    });

    it('decodes base64 bodies as UTF-8 (Bolt alone would choke on "✅")', async () => {
      const body = JSON.stringify({
        type: 'event_callback',
        event_id: 'Ev0UTF8',
        team_id: 'T0LOCAL',
        api_app_id: 'A0VPN',
        event: {
          type: 'app_home_opened',
          user: 'U0BOB',
          tab: 'home',
          view: { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '✅ ünïcödé' } }] },
        },
      });
      expect((await call(signedRequest(body, 'application/json', { base64: true }))).statusCode).toBe(200);
    });

    it("opens the CSR modal from the help message's button", async () => {
      const help = JSON.parse((await command('U0BOB', 'help')).body!) as {
        blocks: { elements?: { action_id: string }[] }[];
      };
      expect(help.blocks.flatMap((b) => b.elements ?? []).map((e) => e.action_id)).toContain(ACTION.issueWithCsr);
      const before = slack.callsTo('views.open').length;
      expect(
        (await call(blockAction('U0BOB', ACTION.issueWithCsr, '', slack.mintResponseUrl('U0BOB')))).statusCode,
      ).toBe(200);
      const opened = slack.callsTo('views.open').slice(before)[0];
      expect(opened.args.view).toMatchObject({ type: 'modal', callback_id: VIEW.csr });
    });

    it("issues from a pasted CSR: the profile refers to the member's own key and carries none", async () => {
      const csr = join(dir.path, 'carol.csr');
      await run('openssl', [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir.path, 'carol.key'),
        '-out',
        csr,
        '-subj',
        '/CN=anything',
      ]);
      const values = {
        [BLOCK.csrInput]: { [BLOCK.csrAction]: { type: 'plain_text_input', value: readFileSync(csr, 'utf8') } },
        [BLOCK.deviceInput]: { [BLOCK.deviceAction]: { type: 'plain_text_input', value: 'own key' } },
      };
      const submitted = await call(viewSubmission('U0ADMIN', VIEW.csr, values));
      expect(submitted.statusCode).toBe(200);
      expect(submitted.body ?? '').not.toMatch(/errors/);
      const upload = await eventually(
        () =>
          slack
            .messages('DU0ADMIN')
            .flatMap((m) => m.files ?? [])
            .find((f) => f.name.includes('own-key')),
        'the CSR profile',
      );
      const profile = slack.file(upload.id)!.bytes!.toString('utf8');
      expect(profile).not.toContain('PRIVATE KEY');
      expect(profile).toMatch(/\nkey ada-admin\.own-key--[a-z2-7]{5}-U0ADMIN\.vpn\.test\.key\n/);
      expect((await stores().certificates.byUser('U0ADMIN')).find((c) => c.device === 'own-key')).toMatchObject({
        source: 'csr',
        status: 'active',
      });
    });

    it('checks a pasted CSR in the modal and shows the mistake next to the field', async () => {
      const garbage = await call(
        viewSubmission('U0BOB', VIEW.csr, {
          [BLOCK.csrInput]: { [BLOCK.csrAction]: { type: 'plain_text_input', value: 'not a csr' } },
          [BLOCK.deviceInput]: { [BLOCK.deviceAction]: { type: 'plain_text_input', value: null } },
        }),
      );
      expect(garbage.statusCode).toBe(200);
      expect(JSON.parse(garbage.body!)).toMatchObject({
        response_action: 'errors',
        errors: { [BLOCK.csrInput]: expect.stringMatching(/not PEM/) },
      });
    });
  },
);

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the Slack bot on an AWS Client VPN endpoint whose EC2 calls are slow',
  () => {
    const ENDPOINT_ID = 'cvpn-endpoint-0123456789abcdef0';
    const KEY = `aws-client-vpn:${ENDPOINT_ID}`;
    /** Longer than Slack's 3 seconds: only a reply that does not wait for EC2 can come back within 1 s. */
    const EC2_DELAY_MS = 4_000;
    let bot: TestBot;
    let ec2: AwsClientStub<EC2Client>;
    let slowMs = 0;
    /** What the fake endpoint holds: the CRL last imported, and one live session of Alice's. */
    let liveCrl: string | undefined;
    let aliceCn = '';
    const terminated: string[] = [];

    const answerAfterDelay = <T>(answer: () => T) =>
      new Promise<T>((resolve) => setTimeout(() => resolve(answer()), slowMs));
    const timed = async (request: () => Promise<Response>) => {
      const started = performance.now();
      const response = await request();
      return { response, elapsed: performance.now() - started };
    };

    beforeAll(async () => {
      const ca = await testCa();
      // Every EC2Client in this process, including the one the bot's endpoint makes for itself.
      ec2 = mockClient(EC2Client);
      ec2.on(ExportClientVpnClientConfigurationCommand).callsFake(() =>
        answerAfterDelay(() => ({
          ClientConfiguration: `client\ndev tun\nproto udp\nremote ${ENDPOINT_ID}.prod.clientvpn.eu-west-1.amazonaws.com 443\n<ca>\n${ca.certPem.trim()}\n</ca>\n`,
        })),
      );
      ec2.on(ExportClientVpnClientCertificateRevocationListCommand).callsFake(() =>
        answerAfterDelay(() => ({
          CertificateRevocationList: liveCrl,
          Status: { Code: liveCrl ? 'active' : 'pending' },
        })),
      );
      ec2
        .on(ImportClientVpnClientCertificateRevocationListCommand)
        .callsFake((input: { CertificateRevocationList?: string }) =>
          answerAfterDelay(() => {
            liveCrl = input.CertificateRevocationList;
            return { Return: true };
          }),
        );
      ec2.on(DescribeClientVpnConnectionsCommand).callsFake(() =>
        answerAfterDelay(() => ({
          Connections: terminated.length
            ? []
            : [{ ConnectionId: 'cvpn-connection-0a1b2c3d', CommonName: aliceCn, Status: { Code: 'active' } }],
        })),
      );
      ec2.on(TerminateClientVpnConnectionsCommand).callsFake((input: { ConnectionId?: string }) =>
        answerAfterDelay(() => {
          terminated.push(input.ConnectionId!);
          return { ConnectionStatuses: [{ ConnectionId: input.ConnectionId, CurrentStatus: { Code: 'terminating' } }] };
        }),
      );
      bot = await testBot({
        env: { VPN_ENDPOINTS: JSON.stringify([{ type: 'aws-client-vpn', id: ENDPOINT_ID, region: 'eu-west-1' }]) },
      });
    });
    afterAll(async () => {
      // The slow jobs finish before their Slack stand-in and table go away.
      await bot?.close();
      ec2?.restore();
    });

    it('acks the revoke confirm click and /vpn crl within 1 s while EC2 takes 4 s a call, then reports', async () => {
      await bot.command('U0ALICE', 'issue laptop');
      await eventually(() => bot.lastResponse('U0ALICE')?.text?.includes('is in your DM'), "Alice's profile");
      const [alice] = await bot.stores.certificates.byUser('U0ALICE');
      aliceCn = alice.cn;
      await bot.idle();

      slowMs = EC2_DELAY_MS;
      const confirm = JSON.parse((await bot.command('U0ADMIN', 'revoke <@U0ALICE>')).body!) as {
        blocks: { elements?: { action_id: string; value?: string }[] }[];
      };
      const button = confirm.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTION.revokeConfirm)!;
      const click = await timed(() => bot.click('U0ADMIN', ACTION.revokeConfirm, button.value!));
      expect(click.response.statusCode).toBe(200);
      expect(click.elapsed).toBeLessThan(1_000);
      // The work goes on after the answer: sessions ended and the CRL imported, each through a slow EC2 call.
      const report = await eventually(
        () =>
          bot.slack
            .responses('U0ADMIN')
            .find(
              (r) =>
                r.body.replace_original === true &&
                JSON.stringify(r.body).includes(KEY) &&
                /CRL/.test(JSON.stringify(r.body)),
            ),
        'the revocation report',
        60_000,
      );
      expect(JSON.stringify(report.body)).toMatch(/1 session/);
      expect(terminated).toEqual(['cvpn-connection-0a1b2c3d']);
      expect((await bot.stores.certificates.get(alice.serial))?.status).toBe('revoked');
      expect(parseCrl(liveCrl!).revocations.map((r) => r.serial)).toContain(alice.serial);

      const crl = await timed(() => bot.command('U0ADMIN', 'crl'));
      expect(crl.response.statusCode).toBe(200);
      expect(crl.elapsed).toBeLessThan(1_000);
      expect(bot.ackText(crl.response)).toMatch(/Reading the CRL back/);
      const health = await eventually(
        () => bot.slack.responses('U0ADMIN').find((r) => /^CRL health/.test((r.body as { text?: string }).text ?? '')),
        'the CRL health',
        30_000,
      );
      expect(JSON.stringify(health.body)).toContain(`*${KEY}*\\nLive CRL #1 · 1 entry`);
    }, 120_000);
  },
);
