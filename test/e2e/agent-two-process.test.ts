import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { agentStoresFor } from '../../src/adapters/dynamodb/agent-stores';
import { join } from 'node:path';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { createSlackLambdaHandler } from '../../src/composition/slack-lambda';
import { inProcessJobs } from '../../src/composition/worker';
import { endpointsFor } from '../../src/composition/endpoints';
import { loadConfig } from '../../src/config';
import {
  DEFAULT_USERGROUPS,
  DEFAULT_USERS,
  SlackStandIn,
  StoredMessage,
  startSlackStandIn,
} from '../../src/local/slack-standin/server';
import { caMaterial } from '../../src/pki/ca';
import { parseCrl } from '../../src/pki/crl';
import { watchAgents } from '../../src/services/agent-watch';
import { AGENT_CLOCK_SKEW_WARN_S } from '../../src/services/clock-skew';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { SlackAgentAlertSink } from '../../src/slack/agent-alerts';
import { adminAlertsFor } from '../../src/slack/admin-alert';
import { slackClient } from '../../src/slack/client';
import { ACTION } from '../../src/slack/ids';
import type { InProcessJobQueue } from '../../src/slack/jobs/in-process-queue';
import { AgentProcess, VPNCTL_BIN, agentProcessEnv, startAgentProcess } from '../helpers/agent-process';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { CONNECTED, RunningOpenVpn, TestVpn, freeTcpPort, prepareTestVpn } from '../helpers/openvpn';
import { blockAction, botEnv, eventCallback, slashCommand } from '../helpers/slack';
import { HAS_TUN, OPENVPN, describeWith, run, tempDir } from '../helpers/tools';

type Response = { statusCode: number; body?: string };
type Bolt = (event: unknown, context: unknown) => Promise<unknown>;

const ADMIN_CHANNEL = 'C0VPNADMINS';
const ENDPOINT = 'openvpn:e2e';
const AGENT_ID = 'e2e-host:e2e';
const PROMPT = /Is this you connecting to the VPN/;
const SILENT = /has sent no heartbeat since/;
const BACK = /is back \(heartbeat at/;
const HALTED = /SIGTERM\[soft,server-pushed-halt\]/;
const MINUTE_MS = 60_000;

interface Member {
  user: string;
  cn: string;
  serial: string;
  profile: string;
}

/**
 * Issue #15 end to end: the bot (the real Bolt app, signed requests, the Slack stand-in) and `vpnctl agent`
 * (the real binary, its own process) meet only in DynamoDB Local; the agent alone reaches a real OpenVPN 2.6
 * server on loopback, over a password-protected management interface.
 */
describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
  },
  'the bot and vpnctl agent as two processes over one table, with a real OpenVPN server',
  () => {
    let vpn: TestVpn;
    let server: RunningOpenVpn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let slack: SlackStandIn;
    let stateDir: ReturnType<typeof tempDir>;
    let bolt: Bolt;
    let agentEnv: Record<string, string | undefined>;
    let botConfig: ReturnType<typeof loadConfig>;
    const agents: AgentProcess[] = [];
    const queues: InProcessJobQueue[] = [];
    let events = 0;

    const stores = () => ({ ...storesFor(db), ...agentStoresFor(db) });
    const agent = () => agents.at(-1)!;
    const call = async (event: unknown) => (await bolt(event, {})) as Response;
    const command = (user: string, text: string) => call(slashCommand(user, text, slack.mintResponseUrl(user)));
    const prompts = (user: string, cn: string) =>
      slack.messages(`D${user}`).filter((m) => PROMPT.test(m.text) && JSON.stringify(m.blocks).includes(cn));
    const adminMessages = (pattern: RegExp) => slack.messages(ADMIN_CHANNEL).filter((m) => pattern.test(m.text));

    /** Short loops, so the test waits seconds where a deployment waits a few more (the defaults are in --help). */
    function startAgent(): AgentProcess {
      const started = startAgentProcess(agentEnv, [
        '--agent-id',
        AGENT_ID,
        '--intervals',
        'crl=500,kills=500,heartbeat=1000',
      ]);
      agents.push(started);
      return started;
    }

    /** The newest heartbeat's report for the endpoint, once `ready` holds for it. */
    const report = (what: string, ready: (r: NonNullable<Awaited<ReturnType<typeof serving>>>) => boolean) =>
      eventually(async () => {
        const current = await serving();
        return current && ready(current) ? current : undefined;
      }, what);
    const serving = async () =>
      (await stores().agents.serving(ENDPOINT))?.endpoints.find((r) => r.endpoint === ENDPOINT);

    /** `/vpn issue <device>`: the profile is built from what the agent reported, and arrives in the DM. */
    async function issue(user: string, device: string): Promise<Member> {
      const files = () => slack.messages(`D${user}`).flatMap((m) => m.files);
      const before = files().length;
      expect((await command(user, `issue ${device}`)).statusCode).toBe(200);
      const bytes = await eventually(() => {
        const file = files()[before];
        return file ? slack.file(file.id)?.bytes : undefined;
      }, `${user}'s profile in their DM`);
      const [record] = await eventually(async () => {
        const mine = (await stores().certificates.byUser(user)).filter(
          (c) => c.device === device && c.status === 'active',
        );
        return mine.length ? mine : undefined;
      }, `${user}'s certificate record`);
      const profile = join(vpn.dir.path, `${user}-${device}.ovpn`);
      writeFileSync(profile, bytes, { mode: 0o600 });
      expect(statSync(profile).mode & 0o777).toBe(0o600);
      expect(bytes.toString('utf8')).toContain(`remote 127.0.0.1 ${vpn.port}`);
      return { user, cn: record.cn, serial: record.serial, profile };
    }

    /** The owner's 👍 on the prompt the agent posted, as Slack delivers it: a signed event to the bot. */
    const react = (user: string, prompt: StoredMessage) =>
      call(
        eventCallback(
          {
            type: 'reaction_added',
            user,
            reaction: '+1',
            item_user: 'UBOT',
            item: { type: 'message', channel: prompt.channel, ts: prompt.ts },
            event_ts: `${Date.now() / 1000}`,
          },
          `Ev0AGENT${++events}`,
        ),
      );

    /** Connect with `member`'s profile: the agent's bridge asks in the DM, the owner reacts 👍, the client is in. */
    async function connect(member: Member): Promise<RunningOpenVpn> {
      const since = server.log().length;
      const client = vpn.startClient(member.profile);
      const prompt = await eventually(() => prompts(member.user, member.cn)[0], `the prompt in ${member.user}'s DM`);
      expect(client.log()).not.toMatch(CONNECTED);
      await eventually(
        async () => (await stores().approvals.recent(member.user, 1))[0]?.ts === prompt.ts || undefined,
        'the prompt recorded on its approval',
      );
      expect((await react(member.user, prompt)).statusCode).toBe(200);
      await client.waitFor(CONNECTED);
      expect(server.log().slice(since)).toMatch(/MANAGEMENT: CMD 'client-auth-nt \d+ \d+'/);
      await eventually(
        () => /Approved/.test(JSON.stringify(slack.messages(`D${member.user}`).find((m) => m.ts === prompt.ts))),
        'the DM updated to Approved',
      );
      return client;
    }

    /** `/vpn revoke` as the admin, then the Revoke click on the confirmation. */
    async function revoke(user: string): Promise<void> {
      const confirm = await command('U0ADMIN', `revoke <@${user}> keyCompromise`);
      const body = JSON.parse(confirm.body!) as { blocks: { elements?: { action_id: string; value?: string }[] }[] };
      const button = body.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTION.revokeConfirm)!;
      expect(JSON.parse(button.value!)).toEqual({ slackId: user, reason: 'keyCompromise' });
      const click = blockAction('U0ADMIN', ACTION.revokeConfirm, button.value!, slack.mintResponseUrl('U0ADMIN'));
      expect((await call(click)).statusCode).toBe(200);
    }

    /** The report that replaces the confirmation, the first one after the `before` responses. */
    const revocationReport = (before: number) =>
      eventually(
        () =>
          slack
            .responses('U0ADMIN')
            .slice(before)
            .find((r) => r.body.replace_original === true && JSON.stringify(r.body).includes(ENDPOINT)),
        'the revocation report',
        60_000,
      );

    const crlOnDisk = () => parseCrl(readFileSync(vpn.files.crl, 'utf8'));

    /** The scheduler's five-minute check, at `now`, with the bot's Slack wiring. */
    const watch = (now: Date) =>
      watchAgents({
        agents: stores().agents,
        alerts: new SlackAgentAlertSink(adminAlertsFor(botConfig, slackClient(botConfig), () => undefined)),
        clock: { now: () => now },
      });

    beforeAll(async () => {
      const users = [...DEFAULT_USERS];
      [vpn, db, slack] = await Promise.all([
        prepareTestVpn({ prefix: 'e2e-agent', initialCrl: false }),
        testDatabase(),
        startSlackStandIn({ users, usergroups: DEFAULT_USERGROUPS }),
      ]);
      stateDir = tempDir('e2e-agent-state');
      await new LocalCaStore(stateDir.path).save(caMaterial(vpn.ca));
      const managementPort = await freeTcpPort();
      const passwordFile = vpn.file('management.pw', 'e2e management secret\n');
      const endpoint = {
        type: 'openvpn',
        name: 'e2e',
        servedBy: 'agent',
        management: `127.0.0.1:${managementPort}`,
        managementPasswordFile: passwordFile,
        crlFile: vpn.files.crl,
        remote: vpn.remote,
        tlsCryptKeyFile: vpn.files.tlsCrypt,
      };
      const shared = {
        ADMIN_CHANNEL_ID: ADMIN_CHANNEL,
        APPROVAL_TIMEOUT_S: '20',
        VPN_ENDPOINTS: JSON.stringify([endpoint]),
      };
      const env = botEnv(slack, db.tableName, stateDir.path, shared);
      botConfig = loadConfig(env);
      // On the VPN host: no CA key, no signing secret; the CA certificate the server's --ca names.
      agentEnv = {
        ...shared,
        TABLE_NAME: db.tableName,
        DYNAMODB_ENDPOINT,
        CERT_DOMAIN: 'vpn.test',
        SLACK_BOT_TOKEN: slack.token,
        SLACK_API_URL: slack.apiUrl,
        CA_CERT_FILE: vpn.files.ca,
        STATE_DIR: join(vpn.dir.path, 'agent-state'),
      };

      // As docs/self-hosted.md orders it: the agent first, it writes the first CRL the bot publishes, then OpenVPN.
      startAgent();
      await agent().waitFor(new RegExp(`serving ${ENDPOINT}`));
      const admin = new VpnAdmin({
        config: botConfig,
        ca: vpn.ca,
        ...stores(),
        endpoints: endpointsFor(botConfig, vpn.ca, { agent: stores() }),
        alerts: { send: async () => undefined },
        coalesceMs: 0,
      });
      expect((await admin.publishAll('U0ADMIN'))[0]).toMatchObject({ outcome: 'published', crlNumber: 1n });
      expect(crlOnDisk().number).toBe(1n);
      server = await vpn.start([
        '--management',
        '127.0.0.1',
        String(managementPort),
        passwordFile,
        '--management-client-auth',
        '--auth-user-pass-optional',
        '--hand-window',
        '60',
      ]);
      await agent().waitFor(/connected to the management interface/, { timeoutMs: 40_000 });
      await report('a heartbeat with the server healthy', (r) => r.health.ok);

      bolt = createSlackLambdaHandler(
        () => loadConfig(env),
        async (cfg, database) => {
          const queue = await inProcessJobs(cfg, database);
          queues.push(queue);
          return queue;
        },
      ) as Bolt;
    }, 120_000);

    afterAll(async () => {
      await Promise.all(agents.map((running) => running.stop()));
      await vpn?.stop();
      await Promise.all(queues.map((queue) => queue.idle()));
      await slack?.stop();
      await db?.drop();
      stateDir?.remove();
    }, 60_000);

    let alice: Member;
    let aliceClient: RunningOpenVpn;

    it('(a) a profile issued in Slack connects once its owner reacts 👍 to the prompt the agent posted', async () => {
      alice = await issue('U0ALICE', 'laptop');
      aliceClient = await connect(alice);
    }, 60_000);

    it("(a') the agent measures its clock against Slack's Date header (the stand-in's) and reports the skew", async () => {
      const beat = await eventually(async () => {
        const mine = (await stores().agents.list()).find((agent) => agent.agentId === AGENT_ID);
        return mine?.clockSkewS !== undefined ? mine : undefined;
      }, 'a heartbeat carrying the clock skew');
      // One host, one clock: only the Date header's whole seconds part them.
      expect(Math.abs(beat.clockSkewS!)).toBeLessThan(AGENT_CLOCK_SKEW_WARN_S);
    }, 30_000);

    it('(b) a revoke in Slack ends the session through the agent, lands the CRL on disk, and refuses the next login', async () => {
      const session = await report("a heartbeat listing Alice's session", (r) =>
        r.sessions.some((s) => s.commonName === alice.cn),
      );
      const { connectionId } = session.sessions.find((s) => s.commonName === alice.cn)!;
      const responses = slack.responses('U0ADMIN').length;
      await revoke('U0ALICE');

      // The bot waits up to 10 s for the agent to settle the kill: "terminated" means it did within that wait.
      const reported = await revocationReport(responses);
      expect(JSON.stringify(reported.body)).toContain(`${ENDPOINT}*: 1 session terminated`);
      await aliceClient.waitFor(HALTED);
      expect(server.log()).toContain(`MANAGEMENT: CMD 'client-kill ${connectionId} HALT'`);

      await eventually(
        () => crlOnDisk().revocations.some((r) => r.serial === alice.serial) || undefined,
        'the serial in crl.pem',
        60_000,
      );
      const since = server.log().length;
      const retry = vpn.startClient(alice.profile);
      await server.waitFor(/VERIFY ERROR: depth=0, error=certificate revoked/, { since });
      await retry.stop();
      expect(retry.log()).not.toMatch(CONNECTED);
    }, 120_000);

    it('(c) a stopped agent is reported silent once; a kill asked meanwhile waits, and is carried out when it is back', async () => {
      const bob = await issue('U0BOB', 'phone');
      const bobClient = await connect(bob);
      const session = await report("a heartbeat listing Bob's session", (r) =>
        r.sessions.some((s) => s.commonName === bob.cn),
      );
      const { connectionId } = session.sessions.find((s) => s.commonName === bob.cn)!;

      await agent().stop();
      expect(agent().output()).toMatch(/stopped/);
      // Inside the 5 minutes nothing is said; past them, once, however often the check runs.
      expect((await watch(new Date())).silent).toEqual([]);
      const later = new Date(Date.now() + 6 * MINUTE_MS);
      expect(await watch(later)).toMatchObject({ agents: 1, silent: [AGENT_ID], back: [], problems: [] });
      expect((await watch(later)).silent).toEqual([]);
      const silent = adminMessages(SILENT);
      expect(silent).toHaveLength(1);
      expect(silent[0].text).toContain(AGENT_ID);

      // The heartbeat is still fresh, so the bot lists Bob's session and queues its kill; nobody carries it out yet.
      const responses = slack.responses('U0ADMIN').length;
      await revoke('U0BOB');
      const [queued] = await eventually(async () => {
        const pending = await stores().sessionKills.pending(ENDPOINT);
        return pending.some((k) => k.connectionId === connectionId) ? pending : undefined;
      }, "Bob's kill queued");
      expect(queued).toMatchObject({ connectionId, commonName: bob.cn, state: 'pending' });
      expect(bobClient.log()).not.toMatch(HALTED);

      const restartedAt = Date.now();
      startAgent();
      await bobClient.waitFor(HALTED, { timeoutMs: 40_000 });
      expect(server.log()).toContain(`MANAGEMENT: CMD 'client-kill ${connectionId} HALT'`);
      await eventually(
        async () => (await stores().sessionKills.get(ENDPOINT, [queued.id]))[0]?.state === 'done' || undefined,
        'the queued kill settled done',
      );
      await eventually(
        () => crlOnDisk().revocations.some((r) => r.serial === bob.serial) || undefined,
        "Bob's serial in crl.pem",
        60_000,
      );

      await eventually(
        async () => ((await stores().agents.serving(ENDPOINT))?.at.getTime() ?? 0) > restartedAt || undefined,
        'a heartbeat from the restarted agent',
      );
      expect(await watch(new Date())).toMatchObject({ silent: [], back: [AGENT_ID], problems: [] });
      expect((await watch(new Date())).back).toEqual([]);
      expect(adminMessages(BACK)).toHaveLength(1);
      expect(adminMessages(SILENT)).toHaveLength(1);
      // The agent after its restart answered everything without an error.
      expect(agent().output()).not.toMatch(/"level":"error"/);
      // Whether it says the kill was carried out or queued depends on when the agent came back: only that it comes.
      await revocationReport(responses);
    }, 180_000);

    it.each(['crl=0', 'kill=500', 'crl'])(
      '(d) --intervals %s is a usage error, said before the table is touched',
      async (intervals) => {
        const result = await run(
          process.execPath,
          [VPNCTL_BIN, 'agent', '--agent-id', 'e2e-host:wrong', '--intervals', intervals],
          { env: agentProcessEnv(agentEnv), timeoutMs: 60_000 },
        );
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/expected name=milliseconds pairs, names among lease, crl, kills, heartbeat/);
        expect((await stores().agents.list()).map((beat) => beat.agentId)).toEqual([AGENT_ID]);
      },
      60_000,
    );
  },
);
