import { generateKeyPairSync } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { connectResponse, parseConnectEvent } from '../../src/adapters/aws-client-vpn/connect-event';
import { CONNECT_READS, CONNECT_WRITES } from '../../infra/permissions';
import { approvalPolicy, decideDeps } from '../../src/composition/connect-handler';
import { connectDatabase } from '../../src/adapters/dynamodb/client';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { Config, loadConfig } from '../../src/config';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { loadHomeData } from '../../src/slack/jobs/home-data';
import { homeView } from '../../src/slack/views/home';
import type { ConnectRequest } from '../../src/domain/approval';
import { encodeCn } from '../../src/domain/cn';
import {
  DEFAULT_USERGROUPS,
  DEFAULT_USERS,
  SlackStandIn,
  startSlackStandIn,
} from '../../src/local/slack-standin/server';
import { caMaterial } from '../../src/pki/ca';
import { signCertificateFor } from '../../src/pki/certificate';
import { DecideDeps, decideConnection } from '../../src/services/decide-connection';
import { SlackApprovalNotifier } from '../../src/slack/approval-notifier';
import { adminAlertsFor } from '../../src/slack/admin-alert';
import { ACTION } from '../../src/slack/ids';
import { createSlackLambdaHandler } from '../../src/composition/slack-lambda';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { blockAction, botEnv, eventCallback } from '../helpers/slack';
import { eventually } from '../helpers/eventually';
import { describeWith, tempDir } from '../helpers/tools';

const DOMAIN = 'vpn.test';

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'login approval: connect decision, 👍 through the real Bolt app',
  () => {
    let slack: SlackStandIn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let dir: ReturnType<typeof tempDir>;
    let deps: DecideDeps;
    let bolt: (event: unknown, context: unknown) => Promise<unknown>;
    let events = 0;
    let config: Config;

    const stores = () => storesFor(db);
    const request = (cn: string, overrides: Partial<ConnectRequest> = {}): ConnectRequest => ({
      connectionId: `cvpn-connection-${Math.random().toString(16).slice(2, 10)}`,
      endpointId: 'cvpn-endpoint-0123456789abcdef0',
      commonName: cn,
      publicIp: '198.51.100.7',
      platform: 'mac',
      platformVersion: '14.5',
      clientVersion: '2.6.14',
      ...overrides,
    });

    async function enrol(name: string, slackId: string, device?: string) {
      const ca = await testCa();
      const cn = encodeCn({ displayName: name, slackId, domain: DOMAIN, device });
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const issued = signCertificateFor({ ca, cn, publicKey });
      await stores().certificates.create({
        serial: issued.serial,
        cn,
        slackId,
        device,
        status: 'active',
        issuedAt: new Date(),
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        source: 'issued',
        issuedBy: 'test',
      });
      return { cn, serial: issued.serial };
    }

    /** The prompt the bot posted into `user`'s DM for this login. */
    const promptFor = (user: string, cn: string) =>
      eventually(() => slack.messages(`D${user}`).find((m) => JSON.stringify(m).includes(cn)), `the prompt to ${user}`);
    const react = (user: string, name: string, channel: string, ts: string) =>
      bolt(
        eventCallback(
          {
            type: 'reaction_added',
            user,
            reaction: name,
            item_user: 'UBOT',
            item: { type: 'message', channel, ts },
            event_ts: `${Date.now() / 1000}`,
          },
          `Ev0R${++events}`,
        ),
        {},
      );

    beforeAll(async () => {
      [slack, db] = await Promise.all([
        startSlackStandIn({ users: [...DEFAULT_USERS], usergroups: DEFAULT_USERGROUPS }),
        testDatabase(),
      ]);
      dir = tempDir('approval');
      await new LocalCaStore(dir.path).save(caMaterial(await testCa()));
      const env = botEnv(slack, db.tableName, dir.path, {
        ADMIN_CHANNEL_ID: 'C0VPNADMINS',
        CERT_DOMAIN: DOMAIN,
        APPROVAL_TIMEOUT_S: '5',
        VPN_ENDPOINTS: '[]',
        AWS_REGION: 'us-east-1',
      });
      config = loadConfig(env);
      const client = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
      deps = {
        ...stores(),
        notifier: new SlackApprovalNotifier(
          client,
          adminAlertsFor(config, client, () => undefined),
        ),
        clock: { now: () => new Date() },
        policy: approvalPolicy(config),
      };
      bolt = createSlackLambdaHandler(
        () => config,
        () => ({ enqueue: async () => undefined }),
      ) as typeof bolt;
    });
    afterAll(async () => {
      await slack?.stop();
      await db?.drop();
      dir?.remove();
    });

    it('reads Client VPN events leniently and answers in schema v2', () => {
      expect(parseConnectEvent('nonsense')).toBeUndefined();
      expect(
        parseConnectEvent({ 'common-name': 42, 'public-ip': ['x'], extra: true, 'connection-id': 'x'.repeat(10_000) }),
      ).toEqual({
        connectionId: 'x'.repeat(256),
        endpointId: '',
        commonName: '42',
        publicIp: '',
        platform: '',
        platformVersion: '',
        clientVersion: '',
      });
      expect(connectResponse({ allow: false, reason: 'timeout', message: 'no' })).toEqual({
        allow: false,
        'error-msg-on-denied-connection': 'no',
        'posture-compliance-statuses': [],
        'schema-version': 'v2',
      });
    });

    it.each([
      ['a garbled CN', '%%%'],
      ['a foreign domain', 'jane-U0JANE.evil.example'],
      ['an unknown Slack ID', 'ghost-U0GHOST.vpn.test'],
      ['an absurd CN', 'x'.repeat(256)],
      ['an empty CN', ''],
    ])('denies %s at once, without asking anyone', async (_label, cn) => {
      const before = slack.calls.length;
      const decision = await decideConnection(deps, request(cn));
      expect(decision).toMatchObject({ allow: false, reason: 'unknown-certificate' });
      expect(decision.message).toMatch(/not active/);
      expect(slack.calls.length).toBe(before);
    });

    it('allows after the owner reacts 👍 (any skin tone), in two Slack calls, and remembers it for that IP', async () => {
      const jane = await enrol('Jane', 'U0ALICE', 'laptop');
      const first = decideConnection(deps, request(jane.cn));
      const prompt = await promptFor('U0ALICE', jane.cn);
      const calls = slack.calls.length;
      // Someone else's 👍, a 👎 and a 👍 on another message change nothing. (A 👍 on an unknown DM message is
      // looked up again for a moment, in case its prompt is not linked yet: sent together, they fit the deadline.)
      await Promise.all([
        react('U0BOB', '+1', 'DU0ALICE', prompt.ts),
        react('U0ALICE', '-1', 'DU0ALICE', prompt.ts),
        react('U0ALICE', '+1', 'DU0ALICE', '1.000001'),
      ]);
      expect((await stores().approvals.recent('U0ALICE', 1))[0].status).toBe('PENDING');
      await react('U0ALICE', '+1::skin-tone-4', 'DU0ALICE', prompt.ts);
      expect(await first).toMatchObject({ allow: true, reason: 'approved' });
      expect(slack.calls.length - calls).toBe(1);
      // The prompt went to the member's id (the app DM), with no conversations.open, cold as it was.
      expect(slack.callsTo('conversations.open')).toEqual([]);
      expect(slack.callsTo('chat.update').at(-1)?.args).toMatchObject({ channel: 'DU0ALICE', ts: prompt.ts });

      const promptsBefore = slack.callsTo('chat.postMessage').length;
      expect(await decideConnection(deps, request(jane.cn))).toMatchObject({ allow: true, reason: 'remembered' });
      expect(slack.callsTo('chat.postMessage').length).toBe(promptsBefore);
      // Another IP is a new question; now the DM channel is cached: post and update, nothing else.
      const before = slack.calls.length;
      const again = decideConnection(deps, request(jane.cn, { publicIp: '203.0.113.9' }));
      const second = await eventually(
        () =>
          slack
            .messages('DU0ALICE')
            .filter((m) => /203\.0\.113\.9/.test(m.text ?? ''))
            .at(-1),
        'the second prompt',
      );
      await bolt(
        blockAction(
          'U0ALICE',
          ACTION.approve,
          (second.blocks as { elements?: { value?: string }[] }[])[1].elements![0].value!,
        ),
        {},
      );
      expect(await again).toMatchObject({ allow: true, reason: 'approved' });
      expect(slack.calls.slice(before).map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    });

    it('denies at the deadline when nobody answers, and a late 👍 changes nothing', async () => {
      const bob = await enrol('Bob', 'U0BOB');
      const started = Date.now();
      const waiting = decideConnection(deps, request(bob.cn, { publicIp: '192.0.2.44' }));
      // While it waits, the admin Home lists it under pending approvals; once it is over, it is gone.
      const admin = new VpnAdmin({
        config,
        ca: await testCa(),
        ...stores(),
        endpoints: [],
        alerts: { send: async () => undefined },
      });
      const pendingText = async () =>
        JSON.stringify(homeView(await loadHomeData({ admin, ...stores(), endpoints: [] }, 'U0ADMIN', true)).blocks);
      await promptFor('U0BOB', bob.cn);
      expect(await pendingText()).toMatch(
        new RegExp(`Pending approvals\\* \\(1\\)[^]*${bob.cn.replace(/\./g, '\\.')}[^]*192\\.0\\.2\\.44`),
      );
      const decision = await waiting;
      expect(decision).toMatchObject({ allow: false, reason: 'timeout' });
      expect(await pendingText()).toMatch(/No logins are waiting for approval/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
      const prompt = await promptFor('U0BOB', bob.cn);
      await react('U0BOB', 'thumbsup', 'DU0BOB', prompt.ts);
      const [approval] = await stores().approvals.recent('U0BOB', 1);
      expect(approval.status).toBe('EXPIRED');
      expect(JSON.stringify(slack.messages('DU0BOB').find((m) => m.ts === prompt.ts))).toMatch(/Expired/);
    });

    it('"Not me" denies, pauses the certificate, alerts the admins, and keeps refusing', async () => {
      const carol = await enrol('Carol', 'U0ADMIN', 'phone');
      const pending = decideConnection(deps, request(carol.cn, { publicIp: '192.0.2.66' }));
      const prompt = await promptFor('U0ADMIN', carol.cn);
      await bolt(
        blockAction(
          'U0ADMIN',
          ACTION.notMe,
          (prompt.blocks as { elements?: { value?: string }[] }[])[1].elements![1].value!,
        ),
        {},
      );
      expect(await pending).toMatchObject({ allow: false, reason: 'denied-by-owner' });
      expect((await stores().certificates.get(carol.serial))?.status).toBe('suspended');
      expect(JSON.stringify(slack.messages('C0VPNADMINS'))).toMatch(/Not me.*192\.0\.2\.66/);
      expect(await decideConnection(deps, request(carol.cn))).toMatchObject({ allow: false, reason: 'suspended' });

      // Only the owner (or an admin) lifts the pause, from the App Home; anyone else is refused and audited.
      await bolt(blockAction('U0BOB', ACTION.reenable, carol.serial), {});
      expect((await stores().certificates.get(carol.serial))?.status).toBe('suspended');
      expect((await stores().audit.query({ actor: 'U0BOB' })).some((e) => e.action === 'access.refused')).toBe(true);
      await bolt(blockAction('U0ADMIN', ACTION.reenable, carol.serial), {});
      expect((await stores().certificates.get(carol.serial))?.status).toBe('active');
    });

    it('a remembered approval ends with a pause of its certificate, and a 👍 after a revocation lets no one in', async () => {
      const asking = { ...deps, policy: { ...deps.policy, promptLimit: 100 } };
      const kim = await enrol('Kim', 'U0ADMIN', 'kiosk');
      const first = decideConnection(asking, request(kim.cn, { publicIp: '192.0.2.90' }));
      await react('U0ADMIN', '+1', 'DU0ADMIN', (await promptFor('U0ADMIN', kim.cn)).ts);
      expect(await first).toMatchObject({ allow: true, reason: 'approved' });
      expect(await decideConnection(asking, request(kim.cn, { publicIp: '192.0.2.90' }))).toMatchObject({
        allow: true,
        reason: 'remembered',
      });

      // Paused ("Not me") and re-enabled: the approval remembered before the pause no longer counts.
      await stores().certificates.setSuspended(kim.serial, true);
      await stores().certificates.setSuspended(kim.serial, false);
      const prompts = () => slack.messages('DU0ADMIN').filter((m) => JSON.stringify(m).includes(kim.cn)).length;
      const before = prompts();
      expect(
        await decideConnection(
          { ...asking, policy: { ...asking.policy, timeoutMs: 300 } },
          request(kim.cn, { publicIp: '192.0.2.90' }),
        ),
      ).toMatchObject({ allow: false, reason: 'timeout' });
      expect(prompts()).toBe(before + 1);

      // Revoked while the prompt waits: the owner's 👍 comes too late to let anyone in, and nothing is remembered.
      const pending = decideConnection(asking, request(kim.cn, { publicIp: '192.0.2.91' }));
      const prompt = await eventually(
        () =>
          slack
            .messages('DU0ADMIN')
            .find((m) => JSON.stringify(m).includes(kim.cn) && JSON.stringify(m).includes('192.0.2.91')),
        'the prompt from the new address',
      );
      await eventually(
        async () => (await stores().approvals.recent('U0ADMIN', 1))[0]?.ts === prompt.ts || undefined,
        'the prompt recorded on its approval',
      );
      await stores().certificates.markRevoked(kim.serial, {
        revokedAt: new Date(),
        reason: 'keyCompromise',
        actor: 'test',
      });
      await react('U0ADMIN', '+1', 'DU0ADMIN', prompt.ts);
      expect(await pending).toMatchObject({ allow: false, reason: 'revoked' });
      expect(await stores().approvals.isRemembered(kim.serial, '192.0.2.91', new Date())).toBe(false);
    });

    it('"Not me" without ADMIN_CHANNEL_ID alerts every admin in their DM', async () => {
      // Admins by id (U0BOB) and by user group (S0VPNADMINS: U0ADMIN); no admin channel to fall back on.
      const noChannel = loadConfig({
        ...botEnv(slack, db.tableName, dir.path),
        ADMIN_CHANNEL_ID: undefined,
        ADMIN_SLACK_IDS: 'U0BOB',
        ADMIN_USERGROUP_ID: 'S0VPNADMINS',
        CERT_DOMAIN: DOMAIN,
        VPN_ENDPOINTS: '[]',
        AWS_REGION: 'us-east-1',
      });
      const listeners = createSlackLambdaHandler(
        () => noChannel,
        () => ({ enqueue: async () => undefined }),
      ) as typeof bolt;
      const erin = await enrol('Erin', 'U0ALICE', 'laptop');
      const pending = decideConnection(deps, request(erin.cn, { publicIp: '203.0.113.9' }));
      const prompt = await promptFor('U0ALICE', erin.cn);
      const channelPosts = slack.messages('C0VPNADMINS').length;
      await listeners(
        blockAction(
          'U0ALICE',
          ACTION.notMe,
          (prompt.blocks as { elements?: { value?: string }[] }[])[1].elements![1].value!,
        ),
        {},
      );
      expect(await pending).toMatchObject({ allow: false, reason: 'denied-by-owner' });
      const alertIn = (dm: string) =>
        slack.messages(dm).find((m) => /Not me/.test(m.text ?? '') && (m.text ?? '').includes(erin.cn));
      for (const dm of ['DU0BOB', 'DU0ADMIN'])
        expect((await eventually(() => alertIn(dm), `the alert in ${dm}`)).text).toMatch(/203\.0\.113\.9.*paused/);
      expect(alertIn('DU0ALICE')).toBeUndefined();
      expect(slack.messages('C0VPNADMINS')).toHaveLength(channelPosts);
    });

    it('limits prompts per person and alerts the admins once', async () => {
      const dave = await enrol('Dave', 'U0BOB', 'desktop');
      const quick = { ...deps, policy: { ...deps.policy, timeoutMs: 200, promptLimit: 2 } };
      const decisions = [];
      for (let i = 0; i < 4; i++)
        decisions.push(await decideConnection(quick, request(dave.cn, { publicIp: `198.51.100.${i}` })));
      // U0BOB was already prompted once in the deadline test, within the same 10 minutes.
      expect(decisions.map((d) => d.reason)).toEqual(['timeout', 'rate-limited', 'rate-limited', 'rate-limited']);
      expect(slack.messages('C0VPNADMINS').filter((m) => /login prompts for <@U0BOB>/.test(m.text ?? ''))).toHaveLength(
        1,
      );
    });

    it('with APPROVALS=off, lets active certificates in without a prompt but still refuses revoked and paused ones', async () => {
      const off = { ...deps, policy: approvalPolicy(loadConfig({ CERT_DOMAIN: DOMAIN, APPROVALS: 'off' })) };
      const frank = await enrol('Frank', 'U0BOB', 'spare');
      const gone = await enrol('Gina', 'U0ALICE', 'old');
      const paused = await enrol('Hal', 'U0ADMIN', 'old');
      await stores().certificates.markRevoked(gone.serial, {
        revokedAt: new Date(),
        reason: 'keyCompromise',
        actor: 'test',
      });
      await stores().certificates.setSuspended(paused.serial, true);
      const before = slack.calls.length;
      expect(await decideConnection(off, request(frank.cn, { publicIp: '198.51.100.200' }))).toMatchObject({
        allow: true,
        reason: 'approvals-off',
      });
      expect(await decideConnection(off, request(gone.cn))).toMatchObject({
        allow: false,
        reason: 'unknown-certificate',
      });
      expect(await decideConnection(off, request(paused.cn))).toMatchObject({ allow: false, reason: 'suspended' });
      expect(await decideConnection(off, request('ghost-U0GHOST.vpn.test'))).toMatchObject({
        allow: false,
        reason: 'unknown-certificate',
      });
      expect(slack.calls.length).toBe(before);
      const audited = await stores().audit.query({ target: frank.cn });
      expect(audited.map((entry) => [entry.action, entry.details?.reason])).toContainEqual([
        'approval.decide',
        'approvals-off',
      ]);
    });

    it('touches only the items the deployed connect handler may (infra/permissions.ts), in every kind of decision', async () => {
      const calls: { command: string; pk: string }[] = [];
      const recorded = connectDatabase({ tableName: db.tableName, endpoint: DYNAMODB_ENDPOINT });
      recorded.doc.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { Key?: { pk?: string }; Item?: { pk?: string } };
          // GetItemCommand → dynamodb:GetItem, the IAM action the call is authorized as.
          calls.push({
            command: `dynamodb:${String(context.commandName).replace(/Command$/, '')}`,
            pk: String(input.Key?.pk ?? input.Item?.pk ?? '(no key)'),
          });
          return next(args);
        },
        { step: 'initialize' },
      );
      // The prompt as deployed: paced through the Slack budget on the same table.
      const watched = {
        ...deps,
        ...storesFor(recorded),
        notifier: decideDeps(config, recorded).notifier,
        policy: { ...deps.policy, promptLimit: 100 },
      };
      const ivy = await enrol('Ivy', 'U0ADMIN', 'watch');
      const approved = decideConnection(watched, request(ivy.cn, { publicIp: '203.0.113.50' }));
      const prompt = await promptFor('U0ADMIN', ivy.cn);
      await react('U0ADMIN', '+1', 'DU0ADMIN', prompt.ts);
      expect(await approved).toMatchObject({ allow: true, reason: 'approved' });
      expect(await decideConnection(watched, request(ivy.cn, { publicIp: '203.0.113.50' }))).toMatchObject({
        reason: 'remembered',
      });
      // Whatever other tests prompted this member, one prompt in the window is enough to hit a limit of 1.
      expect(
        await decideConnection(
          { ...watched, policy: { ...watched.policy, promptLimit: 1 } },
          request(ivy.cn, { publicIp: '203.0.113.51' }),
        ),
      ).toMatchObject({ reason: 'rate-limited' });
      expect(await decideConnection(watched, request('ghost-U0GHOST.vpn.test'))).toMatchObject({
        reason: 'unknown-certificate',
      });
      expect(
        await decideConnection({ ...watched, policy: { ...watched.policy, approvals: 'off' } }, request(ivy.cn)),
      ).toMatchObject({ reason: 'approvals-off' });
      recorded.doc.destroy();

      const allowed = (patterns: string[], pk: string) =>
        patterns.some((pattern) => pk.startsWith(pattern.slice(0, -1)));
      const refused = calls.filter(({ command, pk }) =>
        command === 'dynamodb:GetItem'
          ? !allowed(CONNECT_READS, pk)
          : !['dynamodb:PutItem', 'dynamodb:UpdateItem'].includes(command) || !allowed(CONNECT_WRITES, pk),
      );
      expect(refused).toEqual([]);
      // Every kind of item the policy names was really needed by one of these decisions.
      expect(new Set(calls.map(({ pk }) => `${pk.slice(0, pk.indexOf('#') + 1)}*`))).toEqual(
        new Set([...CONNECT_READS, ...CONNECT_WRITES]),
      );
    });

    it('refuses a revoked certificate at once (the gate), and fails closed when DynamoDB is down', async () => {
      const erin = await enrol('Erin', 'U0ALICE', 'tablet');
      await stores().certificates.markRevoked(erin.serial, {
        revokedAt: new Date(),
        reason: 'keyCompromise',
        actor: 'test',
      });
      expect(await decideConnection(deps, request(erin.cn))).toMatchObject({
        allow: false,
        reason: 'unknown-certificate',
      });
      const down = { ...deps, ...storesFor(connectDatabase({ tableName: 'nowhere', endpoint: 'http://127.0.0.1:9' })) };
      const decision = await decideConnection(down, request(erin.cn));
      expect(decision).toMatchObject({ allow: false, reason: 'error' });
      expect(decision.message).toMatch(/could not check your login/);
    });
  },
);
