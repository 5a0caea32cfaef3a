import { generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnectHandler } from '../../src/composition/connect-handler';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { Config, loadConfig } from '../../src/config';
import { encodeCn } from '../../src/domain/cn';
import {
  DEFAULT_USERGROUPS,
  DEFAULT_USERS,
  SlackStandIn,
  startSlackStandIn,
} from '../../src/local/slack-standin/server';
import { signCertificateFor } from '../../src/pki/certificate';
import { createSlackLambdaHandler } from '../../src/composition/slack-lambda';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { DynamoDbProxy, startDynamoDbProxy } from '../helpers/dynamodb-proxy';
import { eventually } from '../helpers/eventually';
import { botEnv, eventCallback } from '../helpers/slack';
import { describeWith, tempDir } from '../helpers/tools';

const DOMAIN = 'vpn.test';
/** Short, so each case is quick: the answer is due APPROVAL_TIMEOUT_S + 3 s after the call (28 s at the maximum of 25). */
const APPROVAL_TIMEOUT_S = 4;
/** Client VPN's own limit less its margin: every answer here must come well before it. */
const CLIENT_VPN_ANSWER_BY_MS = 28_000;

type ConnectAnswer = { allow: boolean; 'error-msg-on-denied-connection': string };

/**
 * Issue #13.3, through the real connect-handler entry point with Client VPN connect events: its own
 * SDK and Web API clients talk to the Slack stand-in and to DynamoDB Local behind a proxy that can
 * stall or refuse requests. The stand-in and the proxy show what the handler does with a 429 or a
 * stalled database; they cannot show Lambda freezing the process after the answer (work left then
 * resumes at the next call), which is why closing an approval is also retried after the answer.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'connect handler: every login answered in time, whatever Slack and DynamoDB do',
  () => {
    let slack: SlackStandIn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let proxy: DynamoDbProxy;
    let dir: ReturnType<typeof tempDir>;
    let connectConfig: Config;
    let handler: (event: unknown) => Promise<ConnectAnswer>;
    let bolt: (event: unknown, context: unknown) => Promise<unknown>;
    let reactions = 0;

    const stores = () => storesFor(db);
    const event = (cn: string, publicIp: string) => ({
      'connection-id': `cvpn-connection-${Math.random().toString(16).slice(2, 12)}`,
      'endpoint-id': 'cvpn-endpoint-0123456789abcdef0',
      'common-name': cn,
      username: '',
      platform: 'mac',
      'platform-version': '14.5',
      'public-ip': publicIp,
      'client-openvpn-version': '2.6.14',
      'schema-version': 'v2',
    });

    async function enrol(name: string, slackId: string, device: string) {
      const cn = encodeCn({ displayName: name, slackId, domain: DOMAIN, device });
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const issued = signCertificateFor({ ca: await testCa(), cn, publicKey });
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
      return cn;
    }

    const promptFor = (user: string, cn: string) =>
      eventually(() => slack.messages(`D${user}`).find((m) => JSON.stringify(m).includes(cn)), `the prompt to ${user}`);
    const react = (user: string, ts: string) =>
      bolt(
        eventCallback(
          {
            type: 'reaction_added',
            user,
            reaction: '+1',
            item_user: 'UBOT',
            item: { type: 'message', channel: `D${user}`, ts },
            event_ts: `${Date.now() / 1000}`,
          },
          `Ev0D${++reactions}`,
        ),
        {},
      );
    const latestApproval = async (user: string) => (await stores().approvals.recent(user, 1))[0];
    const auditOf = async (cn: string) =>
      (await stores().audit.query({ target: cn })).filter(
        (entry) => entry.action === 'approval.decide' && entry.actor === 'system:connect',
      );

    beforeAll(async () => {
      [slack, db] = await Promise.all([
        startSlackStandIn({ users: [...DEFAULT_USERS], usergroups: DEFAULT_USERGROUPS }),
        testDatabase(),
      ]);
      proxy = await startDynamoDbProxy(DYNAMODB_ENDPOINT!);
      dir = tempDir('connect-deadline');
      const env = botEnv(slack, db.tableName, dir.path, {
        CERT_DOMAIN: DOMAIN,
        APPROVAL_TIMEOUT_S: String(APPROVAL_TIMEOUT_S),
        PROMPT_LIMIT: '100',
        VPN_ENDPOINTS: '[]',
        AWS_REGION: 'us-east-1',
      });
      // The connect handler reaches DynamoDB through the proxy; the bot (recording 👍s) directly.
      connectConfig = loadConfig({ ...env, DYNAMODB_ENDPOINT: proxy.endpoint });
      const botConfig = loadConfig(env);
      handler = createConnectHandler(() => connectConfig) as typeof handler;
      bolt = createSlackLambdaHandler(
        () => botConfig,
        () => ({ enqueue: async () => undefined }),
      ) as typeof bolt;
      // A warm container: on the first call the handler counts this process's start-up (the test runner's) as a cold start.
      await handler({});
    });
    afterAll(async () => {
      proxy?.resume();
      await slack?.stop();
      await proxy?.stop();
      await db?.drop();
      dir?.remove();
    });
    afterEach(() => proxy.resume());

    it('answers at once with the truth when Slack rate-limits the prompt with Retry-After: 30, and closes the approval', async () => {
      const cn = await enrol('Jane', 'U0ALICE', 'laptop');
      slack.failNext('chat.postMessage', { status: 429, retryAfter: 30 });
      const started = Date.now();
      const answer = await handler(event(cn, '198.51.100.7'));
      expect(Date.now() - started).toBeLessThan(CLIENT_VPN_ANSWER_BY_MS);
      expect(answer).toMatchObject({ allow: false });
      expect(answer['error-msg-on-denied-connection']).toMatch(/could not send your login request to Slack/);
      expect((await latestApproval('U0ALICE')).status).toBe('EXPIRED');
      expect((await auditOf(cn)).map((entry) => [entry.outcome, entry.details?.reason])).toEqual([
        ['refused', 'error'],
      ]);
      expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    }, 60_000);

    it.each([
      ['a 429 whose Retry-After (1 s) still leaves the owner time', 'spare', { status: 429 as const, retryAfter: 1 }],
      ['a 503', 'backup', { status: 503 as const }],
    ])(
      'tries the prompt again after %s, and lets the owner in after their 👍',
      async (_fault, device, fault) => {
        const cn = await enrol('Jane', 'U0ALICE', device);
        slack.failNext('chat.postMessage', fault);
        const answering = handler(event(cn, '198.51.100.8'));
        const prompt = await promptFor('U0ALICE', cn);
        await react('U0ALICE', prompt.ts);
        expect(await answering).toMatchObject({ allow: true });
        expect(slack.callsTo('chat.postMessage').filter((call) => JSON.stringify(call.args).includes(cn))).toHaveLength(
          2,
        );
      },
      60_000,
    );

    it.each([
      ['before the certificate is read', 'U0BOB', /could not check your login/],
      ['while it waits for the owner', 'U0ADMIN', /could not read your answer in Slack in time/],
    ])(
      'answers before a 10 s DynamoDB stall %s ends, and closes the approval once the database is back',
      async (when, user, message) => {
        const cn = await enrol(user, user, when.startsWith('before') ? 'tablet' : 'phone');
        if (when.startsWith('before')) proxy.pause();
        const answering = handler(event(cn, '203.0.113.9'));
        if (!when.startsWith('before')) {
          await promptFor(user, cn);
          proxy.pause();
        }
        const stall = sleep(10_000).then(() => 'DynamoDB is still stalled' as const);
        const first = await Promise.race([answering, stall]);
        expect(first).not.toBe('DynamoDB is still stalled');
        const answer = first as ConnectAnswer;
        expect(answer.allow).toBe(false);
        expect(answer['error-msg-on-denied-connection']).toMatch(message);
        expect(answer['error-msg-on-denied-connection']).not.toMatch(/Nobody approved/);
        proxy.resume();
        // What could not be written during the stall is written once DynamoDB answers again: audit, and no PENDING left.
        const audited = await eventually(async () => (await auditOf(cn)).at(0), 'the audit entry');
        expect(audited).toMatchObject({ outcome: 'refused', details: { reason: 'error' } });
        if (!when.startsWith('before')) {
          await eventually(
            async () => (await latestApproval(user)).status === 'EXPIRED',
            'the approval closed as EXPIRED',
          );
          await eventually(
            () =>
              /Expired/.test(JSON.stringify(slack.messages(`D${user}`).find((m) => JSON.stringify(m).includes(cn)))),
            'the prompt rewritten as Expired',
          );
        }
      },
      60_000,
    );

    it('lets an approved login in when remembering the approval fails, and says so in the audit', async () => {
      const cn = await enrol('Jane', 'U0ALICE', 'desktop');
      const clear = proxy.failWhen((operation, body) => operation === 'PutItem' && body.includes('"REMEMBER#'), {
        status: 400,
        type: 'AccessDeniedException',
        message: 'not authorized to perform dynamodb:PutItem',
      });
      try {
        const answering = handler(event(cn, '192.0.2.80'));
        const prompt = await promptFor('U0ALICE', cn);
        await react('U0ALICE', prompt.ts);
        expect(await answering).toMatchObject({ allow: true });
        expect(await auditOf(cn)).toMatchObject([
          { outcome: 'success', details: { reason: 'approved', remembered: false } },
        ]);
      } finally {
        clear();
      }
      // Not remembered, so the next login from there asks again rather than letting itself in.
      slack.failNext('chat.postMessage', { status: 429, retryAfter: 30 });
      expect(await handler(event(cn, '192.0.2.80'))).toMatchObject({ allow: false });
    }, 60_000);

    it('lets an approved login in when remembering the approval stalls past the deadline', async () => {
      const cn = await enrol('Jane', 'U0ALICE', 'travel');
      proxy.pauseWhen((operation, body) => operation === 'PutItem' && body.includes('"REMEMBER#'));
      const answering = handler(event(cn, '192.0.2.81'));
      const prompt = await promptFor('U0ALICE', cn);
      await react('U0ALICE', prompt.ts);
      const first = await Promise.race([answering, sleep(10_000).then(() => 'DynamoDB is still stalled' as const)]);
      expect(first).toMatchObject({ allow: true });
      proxy.resume();
    }, 60_000);

    it("counts a cold start's initialization against the owner's time, but not a container started ahead of the call", async () => {
      const uptime = jest.spyOn(process, 'uptime');
      /** The owner's time left when the approval was created, in a fresh container whose process has run `initS`. */
      const windowAfter = async (initS: number, user: string, device: string) => {
        uptime.mockReturnValue(initS);
        const cold = createConnectHandler(() => connectConfig) as typeof handler;
        const cn = await enrol(user, user, device);
        expect(await cold(event(cn, '192.0.2.90'))).toMatchObject({ allow: false });
        const approval = await latestApproval(user);
        expect(approval.cn).toBe(cn);
        return approval.deadline.getTime() - approval.requestedAt.getTime();
      };
      try {
        // Lambda spent 3.5 of Client VPN's seconds starting the process: they are not the owner's to wait (0.5 s at most is left).
        expect(await windowAfter(APPROVAL_TIMEOUT_S - 0.5, 'U0BOB', 'cold')).toBeLessThan(1_000);
        // Over Lambda's 10 s init limit, the process was started before the call (provisioned concurrency): the owner's time is whole.
        expect(await windowAfter(60, 'U0ADMIN', 'warm')).toBeGreaterThan(1_500);
      } finally {
        uptime.mockRestore();
      }
    }, 60_000);
  },
);
