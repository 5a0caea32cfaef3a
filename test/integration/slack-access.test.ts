import { randomUUID } from 'node:crypto';
import type { AuditAction } from '../../src/domain/audit';
import { blockActionRequest } from '../../src/local/slack-requests';
import { HOUR_MS } from '../../src/domain/time';
import { expireLapsedRequests } from '../../src/services/access-requests';
import { ACTION, BLOCK, VIEW } from '../../src/slack/ids';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { lambdaEvent, viewSubmission } from '../helpers/slack';
import { describeWith } from '../helpers/tools';

const ADMIN_CHANNEL = 'C0VPNADMINS';
type Blocks = { type: string; elements?: { type: string; action_id?: string; value?: string }[] }[];

const actionIds = (blocks: unknown) =>
  ((blocks ?? []) as Blocks)
    .flatMap((block) => (block.elements ?? []).map((element) => element.action_id))
    .filter((id) => id !== undefined);

async function actions(bot: TestBot, action: AuditAction) {
  return (await bot.stores.audit.query({})).filter((entry) => entry.action === action);
}

/** The Approve / Deny click on the admin-channel message, with the duration select's pick as Slack sends it. */
function decide(bot: TestBot, user: string, actionId: string, requestId: string, hours?: number) {
  const message = bot.slack.messages(ADMIN_CHANNEL).find((m) => JSON.stringify(m.blocks).includes(requestId));
  return bot.call(
    lambdaEvent(
      blockActionRequest({
        userId: user,
        actionId,
        value: requestId,
        container: { type: 'message', channelId: ADMIN_CHANNEL, messageTs: message?.ts ?? '1.1', isEphemeral: false },
        responseUrl: bot.slack.mintResponseUrl(user),
        ...(hours !== undefined && {
          state: {
            values: {
              [BLOCK.requestHours]: {
                [ACTION.requestHours]: { type: 'static_select', selected_option: { value: String(hours) } },
              },
            },
          },
        }),
      }),
    ),
  );
}

const requestValues = (device: string, duration: string, reason: string) => ({
  [BLOCK.deviceInput]: { [BLOCK.deviceAction]: { type: 'plain_text_input', value: device } },
  [BLOCK.durationInput]: { [BLOCK.durationAction]: { type: 'plain_text_input', value: duration } },
  [BLOCK.reasonInput]: { [BLOCK.reasonAction]: { type: 'plain_text_input', value: reason } },
});

/** A request as the modal leaves it; returns its id. */
async function submitRequest(bot: TestBot, user: string, duration = '8h'): Promise<string> {
  const response = await bot.call(
    viewSubmission(user, VIEW.accessRequest, requestValues('laptop', duration, 'on call this weekend')),
  );
  expect(response.body ?? '').toBe('');
  const request = await bot.stores.accessRequests.latest(user);
  return request!.id;
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'who may get access: ISSUE_POLICY, /vpn grant and access requests through the real Bolt app',
  () => {
    describe('ISSUE_POLICY=request', () => {
      let bot: TestBot;
      beforeAll(async () => {
        bot = await testBot({
          env: { ISSUE_POLICY: 'request', ADMIN_CHANNEL_ID: ADMIN_CHANNEL, ADMIN_SLACK_IDS: 'U0ADMIN,U0BOB' },
        });
      });
      afterAll(() => bot.close());

      it('answers someone outside the group with the request button, issues nothing, and audits the refusal', async () => {
        const response = await bot.command('U0ALICE', 'issue laptop');
        const body = JSON.parse(response.body ?? '{}') as { text?: string; blocks?: unknown };
        expect(body.text).toMatch(/not in the group that may issue/);
        expect(actionIds(body.blocks)).toContain(ACTION.requestAccess);
        await bot.idle();
        expect(await bot.stores.certificates.byUser('U0ALICE')).toEqual([]);
        expect((await actions(bot, 'access.refused')).map((e) => e.actor)).toContain('U0ALICE');
      });

      it('re-checks in the worker: an issue job for someone not eligible issues nothing and answers with the button', async () => {
        await bot.enqueue({ type: 'issue', userId: 'U0ALICE', responseUrl: bot.slack.mintResponseUrl('U0ALICE') });
        await bot.idle();
        expect(actionIds(bot.lastResponse('U0ALICE')?.blocks)).toContain(ACTION.requestAccess);
        expect(await bot.stores.certificates.byUser('U0ALICE')).toEqual([]);
      });

      it('the request button opens the modal; bad input gets field errors and stores nothing', async () => {
        const triggerId = bot.slack.mintTriggerId('U0ALICE');
        await bot.call(
          lambdaEvent(
            blockActionRequest({
              userId: 'U0ALICE',
              actionId: ACTION.requestAccess,
              triggerId,
              responseUrl: bot.slack.mintResponseUrl('U0ALICE'),
              container: { type: 'message', channelId: 'DU0ALICE', messageTs: '1.2', isEphemeral: true },
            }),
          ),
        );
        expect(bot.slack.openModal('U0ALICE')?.view.callback_id).toBe(VIEW.accessRequest);

        const bad = await bot.call(
          viewSubmission('U0ALICE', VIEW.accessRequest, requestValues('lap/top', 'forever', '')),
        );
        const { errors } = JSON.parse(bad.body ?? '{}') as { errors: Record<string, string> };
        expect(Object.keys(errors).sort()).toEqual([BLOCK.deviceInput, BLOCK.durationInput, BLOCK.reasonInput].sort());
        const tooLong = await bot.call(viewSubmission('U0ALICE', VIEW.accessRequest, requestValues('', '9999w', 'x')));
        expect(JSON.parse(tooLong.body ?? '{}')).toMatchObject({ errors: { [BLOCK.durationInput]: /At most 30d/ } });
        expect(await bot.stores.accessRequests.latest('U0ALICE')).toBeUndefined();
      });

      it('request → Approve with a chosen duration → the profile in the requester’s DM, the message settled, each step audited', async () => {
        const id = await submitRequest(bot, 'U0ALICE');
        await bot.idle();
        const posted = bot.slack.messages(ADMIN_CHANNEL).find((m) => JSON.stringify(m.blocks).includes(id))!;
        expect(actionIds(posted.blocks)).toEqual([ACTION.requestHours, ACTION.approveRequest, ACTION.denyRequest]);
        expect((await actions(bot, 'access.request')).map((e) => e.actor)).toContain('U0ALICE');
        // A second request while one waits is refused.
        const again = await bot.call(
          viewSubmission('U0ALICE', VIEW.accessRequest, requestValues('laptop', '8h', 'again')),
        );
        expect(again.body).toMatch(/already have a request waiting/);

        // The Home: the requester sees where the request stands, the admins see it with Approve and Deny.
        const homeText = (user: string) => JSON.stringify(bot.slack.homeView(user)?.view.blocks ?? []);
        expect(homeText('U0ALICE')).toMatch(/Your VPN access request \(\*laptop\*, 8h\) waits for the admins/);
        await bot.enqueue({ type: 'home', userId: 'U0ADMIN' });
        await bot.idle();
        expect(bot.homeButtons('U0ADMIN', ACTION.approveRequest).map((b) => b.value)).toEqual([id]);

        await decide(bot, 'U0ADMIN', ACTION.approveRequest, id, 24);
        await bot.idle();
        const [record] = await bot.stores.certificates.byUser('U0ALICE');
        expect(record).toMatchObject({ status: 'active', device: 'laptop', issuedBy: 'U0ADMIN' });
        expect(record.notAfter.getTime() - record.notBefore.getTime()).toBeLessThanOrEqual(25 * HOUR_MS);
        const file = bot.slack.messages('DU0ALICE').flatMap((m) => m.files ?? [])[0];
        expect(bot.slack.file(file.id)!.bytes!.toString('utf8')).toMatch(/<cert>[\s\S]*<key>/);
        expect(bot.slack.messages('DU0ALICE').some((m) => /approved your VPN access request for 1d/.test(m.text))).toBe(
          true,
        );
        expect(homeText('U0ALICE')).toMatch(/was approved by <@U0ADMIN>/);
        expect(bot.homeButtons('U0ADMIN', ACTION.approveRequest)).toEqual([]);
        const settled = bot.slack.messages(ADMIN_CHANNEL).find((m) => m.ts === posted.ts)!;
        expect(settled.text).toMatch(/Approved by <@U0ADMIN> for 1d/);
        expect(actionIds(settled.blocks)).toEqual([]);
        expect(await actions(bot, 'access.request.approve')).toEqual([
          expect.objectContaining({
            actor: 'U0ADMIN',
            target: 'U0ALICE',
            details: expect.objectContaining({ hours: 24 }),
          }),
        ]);
        // Decided is decided: a late click changes nothing.
        await decide(bot, 'U0BOB', ACTION.denyRequest, id);
        await bot.idle();
        expect(bot.lastResponse('U0BOB')?.text).toMatch(/already approved by <@U0ADMIN>/);
        expect(await actions(bot, 'access.request.deny')).toEqual([]);
      });

      it('nobody approves their own request, admins included; a non-admin click is refused in the worker', async () => {
        const id = await submitRequest(bot, 'U0BOB');
        await decide(bot, 'U0BOB', ACTION.approveRequest, id);
        await bot.idle();
        expect(bot.lastResponse('U0BOB')?.text).toMatch(/Nobody approves their own request/);
        await decide(bot, 'U0ALICE', ACTION.approveRequest, id);
        await bot.idle();
        expect(bot.lastResponse('U0ALICE')?.text).toMatch(/Only VPN admins can approve access requests/);
        expect(await bot.stores.certificates.byUser('U0BOB')).toEqual([]);
        expect((await bot.stores.accessRequests.get(id))?.state).toBe('pending');
        const refusals = (await actions(bot, 'access.refused')).map((e) => [e.actor, e.details?.what]);
        expect(refusals).toEqual(
          expect.arrayContaining([
            ['U0BOB', 'approve their own request'],
            ['U0ALICE', 'approve access requests'],
          ]),
        );
      });

      it('Deny from the Home: the requester is told, nothing is issued, audited', async () => {
        const { id } = (await bot.stores.accessRequests.latest('U0BOB'))!;
        // From the Home this time: no response_url, no duration select.
        await bot.enqueue({ type: 'home', userId: 'U0ADMIN' });
        await bot.idle();
        expect(bot.homeButtons('U0ADMIN', ACTION.denyRequest).map((b) => b.value)).toEqual([id]);
        await bot.homeClick('U0ADMIN', ACTION.denyRequest, id);
        await bot.idle();
        expect((await bot.stores.accessRequests.get(id))?.state).toBe('denied');
        expect(bot.slack.messages('DU0BOB').some((m) => /denied your VPN access request/.test(m.text))).toBe(true);
        expect(await bot.stores.certificates.byUser('U0BOB')).toEqual([]);
        expect((await actions(bot, 'access.request.deny')).map((e) => [e.actor, e.target])).toEqual([
          ['U0ADMIN', 'U0BOB'],
        ]);
      });

      it('two admins approving at once: one approval, one certificate', async () => {
        // Alice already holds a laptop profile: this one is for her desktop.
        await bot.stores.accessRequests.create({
          id: randomUUID(),
          requester: 'U0ALICE',
          device: 'desktop',
          hours: 8,
          reason: 'race',
          state: 'pending',
          createdAt: new Date(),
          expiresAt: new Date(Date.now() + 24 * HOUR_MS),
        });
        const race = (await bot.stores.accessRequests.latest('U0ALICE'))!.id;
        await Promise.all([
          decide(bot, 'U0ADMIN', ACTION.approveRequest, race),
          decide(bot, 'U0BOB', ACTION.approveRequest, race),
        ]);
        await bot.idle();
        const desktops = (await bot.stores.certificates.byUser('U0ALICE')).filter((c) => c.device === 'desktop');
        expect(desktops).toHaveLength(1);
        const approvals = (await actions(bot, 'access.request.approve')).filter((e) => e.details?.request === race);
        expect(approvals).toHaveLength(1);
      });

      it('an expired request is refused at the click and closed; the daily sweep closes the rest, audited', async () => {
        const created = new Date(Date.now() - 25 * HOUR_MS);
        const stale = (id: string) => ({
          id,
          requester: 'U0BOB',
          hours: 8,
          reason: 'late',
          state: 'pending' as const,
          createdAt: created,
          expiresAt: new Date(created.getTime() + 24 * HOUR_MS),
        });
        const clicked = randomUUID();
        const swept = randomUUID();
        await bot.stores.accessRequests.create(stale(clicked));
        await bot.stores.accessRequests.create(stale(swept));
        await decide(bot, 'U0ADMIN', ACTION.approveRequest, clicked);
        await bot.idle();
        expect(bot.lastResponse('U0ADMIN')?.text).toMatch(/This request expired/);
        expect(await bot.stores.certificates.byUser('U0BOB')).toEqual([]);
        expect((await bot.stores.accessRequests.get(clicked))?.state).toBe('expired');

        const closed = await expireLapsedRequests(
          { requests: bot.stores.accessRequests, audit: bot.stores.audit, clock: { now: () => new Date() } },
          'system:daily',
        );
        expect(closed).toBe(1);
        expect((await bot.stores.accessRequests.get(swept))?.state).toBe('expired');
        expect((await actions(bot, 'access.request.expire')).map((e) => e.details?.request).sort()).toEqual(
          [clicked, swept].sort(),
        );
      });

      it('a renewal is re-checked too: someone who may not issue renews nothing', async () => {
        const before = await bot.stores.certificates.byUser('U0ALICE');
        const laptop = before.find((c) => c.device === 'laptop')!;
        await bot.enqueue({
          type: 'renew',
          userId: 'U0ALICE',
          serial: laptop.serial,
          responseUrl: bot.slack.mintResponseUrl('U0ALICE'),
        });
        await bot.idle();
        expect(actionIds(bot.lastResponse('U0ALICE')?.blocks)).toContain(ACTION.requestAccess);
        expect(await bot.stores.certificates.byUser('U0ALICE')).toHaveLength(before.length);
      });

      it('an approval whose certificate cannot be issued goes back to the admins, audited, instead of claiming a profile', async () => {
        // Alice's laptop certificate from the approval above is still active, so another for "laptop" is refused.
        const before = await bot.stores.certificates.byUser('U0ALICE');
        const id = await submitRequest(bot, 'U0ALICE');
        await bot.idle();
        const posted = bot.slack.messages(ADMIN_CHANNEL).find((m) => JSON.stringify(m.blocks).includes(id))!;
        await decide(bot, 'U0ADMIN', ACTION.approveRequest, id);
        await bot.idle();
        expect(await bot.stores.certificates.byUser('U0ALICE')).toHaveLength(before.length);
        expect(await bot.stores.accessRequests.get(id)).toMatchObject({ state: 'pending' });
        expect((await bot.stores.accessRequests.get(id))?.decidedBy).toBeUndefined();
        expect((await actions(bot, 'access.request.approve')).filter((e) => e.details?.request === id)).toEqual([
          expect.objectContaining({ outcome: 'success' }),
          expect.objectContaining({
            outcome: 'failure',
            details: expect.objectContaining({
              reopened: true,
              error: expect.stringMatching(/already has an active certificate/),
            }),
          }),
        ]);
        const settled = bot.slack.messages(ADMIN_CHANNEL).find((m) => m.ts === posted.ts)!;
        expect(JSON.stringify(settled)).toMatch(/could not be issued.*pending again/);
        await bot.enqueue({ type: 'home', userId: 'U0ADMIN' });
        await bot.idle();
        expect(bot.homeButtons('U0ADMIN', ACTION.approveRequest).map((b) => b.value)).toContain(id);
      });
    });

    describe('/vpn grant', () => {
      let bot: TestBot;
      beforeAll(async () => {
        bot = await testBot({ env: { ISSUE_POLICY: 'group', ISSUE_USERGROUP_ID: 'S0VPNADMINS' } });
      });
      afterAll(() => bot.close());

      it('group: members issue, others are refused without a request button', async () => {
        expect(bot.ackText(await bot.command('U0ADMIN', 'issue laptop'))).toMatch(/Issuing your certificate/);
        const refused = await bot.command('U0ALICE', 'issue laptop');
        expect(bot.ackText(refused)).toMatch(/Ask a VPN admin to add you, or to grant you access/);
        expect(actionIds((JSON.parse(refused.body ?? '{}') as { blocks?: unknown }).blocks)).toEqual([]);
        await bot.idle();
        expect(await bot.stores.certificates.byUser('U0ADMIN')).toHaveLength(1);
        expect(await bot.stores.certificates.byUser('U0ALICE')).toEqual([]);
      });

      it('bad input gets the usage and grants nothing; nobody grants themselves', async () => {
        expect(bot.ackText(await bot.command('U0ADMIN', 'grant <@U0ALICE>'))).toMatch(/Use `\/vpn grant @user/);
        expect(bot.ackText(await bot.command('U0ADMIN', 'grant <@U0ALICE> forever'))).toMatch(
          /"forever" is not a duration/,
        );
        expect(bot.ackText(await bot.command('U0ADMIN', 'grant alice 3d'))).toMatch(/is not a mention/);
        expect(bot.ackText(await bot.command('U0ADMIN', 'grant <@U0ALICE> 5w'))).toMatch(/at most 30d/);
        expect(bot.ackText(await bot.command('U0ADMIN', 'grant <@U0ADMIN> 3d'))).toMatch(
          /Nobody grants themselves access/,
        );
        expect(await bot.stores.grants.active('U0ALICE', new Date())).toBeUndefined();
        expect(await bot.stores.grants.active('U0ADMIN', new Date())).toBeUndefined();
        expect(await actions(bot, 'access.grant')).toEqual([]);
      });

      it('a non-admin is refused and audited', async () => {
        expect(bot.ackText(await bot.command('U0BOB', 'grant <@U0BOB> 3d'))).toMatch(
          /Only VPN admins can grant VPN access/,
        );
        expect(await bot.stores.grants.active('U0BOB', new Date())).toBeUndefined();
        expect((await actions(bot, 'access.refused')).map((e) => [e.actor, e.details?.what])).toContainEqual([
          'U0BOB',
          'grant VPN access',
        ]);
      });

      it('an admin grants: the grantee is told until when, may issue, and it is audited', async () => {
        const response = await bot.command('U0ADMIN', 'grant <@U0ALICE> 3d on call this weekend');
        expect(bot.ackText(response)).toMatch(/<@U0ALICE> may issue a VPN certificate until/);
        const grant = await bot.stores.grants.active('U0ALICE', new Date());
        expect(grant?.until.getTime()).toBeGreaterThan(Date.now() + 71 * HOUR_MS);
        expect(bot.slack.messages('DU0ALICE').some((m) => /you may now issue a certificate/.test(m.text))).toBe(true);
        expect(await actions(bot, 'access.grant')).toEqual([
          expect.objectContaining({
            actor: 'U0ADMIN',
            target: 'U0ALICE',
            details: expect.objectContaining({ hours: 72, reason: 'on call this weekend' }),
          }),
        ]);
        expect(bot.ackText(await bot.command('U0ALICE', 'issue laptop'))).toMatch(/Issuing your certificate/);
        await bot.idle();
        const [certificate] = await bot.stores.certificates.byUser('U0ALICE');
        // Temporary eligibility is temporary access: the certificate ends with the grant, not after CERT_DAYS.
        expect(certificate.notAfter).toEqual(grant?.until);
        // An expired grant is no grant, whatever TTL has not deleted yet.
        expect(await bot.stores.grants.active('U0ALICE', new Date(Date.now() + 73 * HOUR_MS))).toBeUndefined();

        // An admin's revoke ends the grant too: Alice cannot issue herself straight back in.
        await bot.click(
          'U0ADMIN',
          ACTION.revokeConfirm,
          JSON.stringify({ slackId: 'U0ALICE', reason: 'affiliationChanged' }),
        );
        await bot.idle();
        expect((await bot.stores.certificates.byUser('U0ALICE')).map((record) => record.status)).toEqual(['revoked']);
        expect(await bot.stores.grants.active('U0ALICE', new Date())).toBeUndefined();
        expect(await actions(bot, 'access.grant')).toContainEqual(
          expect.objectContaining({ actor: 'U0ADMIN', target: 'U0ALICE', details: { ended: true } }),
        );
        expect(bot.ackText(await bot.command('U0ALICE', 'issue laptop'))).toMatch(/Ask a VPN admin to add you/);
      });
    });

    describe('ISSUE_POLICY=open (the default)', () => {
      let bot: TestBot;
      beforeAll(async () => {
        bot = await testBot();
      });
      afterAll(() => bot.close());

      it('anyone in the workspace issues, as before', async () => {
        expect(bot.ackText(await bot.command('U0BOB', 'issue laptop'))).toMatch(/Issuing your certificate/);
        await bot.idle();
        expect(await bot.stores.certificates.byUser('U0BOB')).toHaveLength(1);
      });
    });
  },
);
