import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { approvalPolicy } from '../../src/composition/connect-handler';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { OpenVpnConnectBridge } from '../../src/adapters/openvpn/connect-bridge';
import { ManagementClient } from '../../src/adapters/openvpn/management';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { endpointsFor } from '../../src/composition/endpoints';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import type { ConnectDecision, ConnectRequest } from '../../src/domain/approval';
import { effectiveStatus } from '../../src/domain/certificate';
import {
  DEFAULT_USERGROUPS,
  DEFAULT_USERS,
  SlackStandIn,
  StoredMessage,
  startSlackStandIn,
} from '../../src/local/slack-standin/server';
import { caMaterial } from '../../src/pki/ca';
import { parseCrl } from '../../src/pki/crl';
import { DecideDeps, decideConnection } from '../../src/services/decide-connection';
import { SlackApprovalNotifier } from '../../src/slack/approval-notifier';
import { adminAlertsFor } from '../../src/slack/admin-alert';
import { ACTION } from '../../src/slack/ids';
import { createSlackLambdaHandler } from '../../src/composition/slack-lambda';
import { inProcessJobs } from '../../src/composition/worker';
import type { InProcessJobQueue } from '../../src/slack/jobs/in-process-queue';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { CONNECTED, ManagedTestVpn, RunningOpenVpn, prepareTestVpn } from '../helpers/openvpn';
import { blockAction, botEnv, eventCallback, slashCommand } from '../helpers/slack';
import { HAS_TUN, OPENVPN, describeWith, tempDir } from '../helpers/tools';

type Response = { statusCode: number; body?: string };
type Bolt = (event: unknown, context: unknown) => Promise<unknown>;

const APPROVAL_TIMEOUT_S = 6;
const ADMIN_CHANNEL = 'C0VPNADMINS';
const ENDPOINT = 'openvpn:e2e';
const PROMPT = /Is this you connecting to the VPN/;

/** What the bridge asked and what decideConnection answered, in order. */
interface Decided {
  request: ConnectRequest;
  decision: ConnectDecision;
  ms: number;
}

/** A member's certificate, issued through `/vpn issue`, and its profile on disk. */
interface Member {
  user: string;
  cn: string;
  serial: string;
  profile: string;
}

describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
  },
  'login approval end to end: a real OpenVPN client, approved or refused from Slack',
  () => {
    let vpn: ManagedTestVpn;
    let server: RunningOpenVpn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let slack: SlackStandIn;
    let stateDir: ReturnType<typeof tempDir>;
    let bolt: Bolt;
    let management: ManagementClient;
    let bridge: OpenVpnConnectBridge;
    let deps: DecideDeps;
    const asked: ConnectRequest[] = [];
    const decided: Decided[] = [];
    const bridgeLog: string[] = [];
    const queues: InProcessJobQueue[] = [];
    let events = 0;

    const stores = () => storesFor(db);
    const call = async (event: unknown) => (await bolt(event, {})) as Response;
    const command = (user: string, text: string) => call(slashCommand(user, text, slack.mintResponseUrl(user)));
    const prompts = (user: string, cn: string) =>
      slack.messages(`D${user}`).filter((m) => PROMPT.test(m.text) && JSON.stringify(m.blocks).includes(cn));
    const promptFor = (user: string, cn: string) =>
      eventually(() => prompts(user, cn)[0], `the approval prompt in ${user}'s DM`);
    const buttonValue = (prompt: StoredMessage, index: number) =>
      (prompt.blocks as { elements?: { value?: string }[] }[])[1].elements![index].value!;
    const decisionFor = (cn: string) =>
      eventually(() => decided.find((d) => d.request.commonName === cn), `the decision for ${cn}`, 20_000);

    /** `/vpn issue <device>` as `user`; the profile is read from the stand-in's file store and saved with mode 0600. */
    async function issue(user: string, device: string): Promise<Member> {
      const files = () => slack.messages(`D${user}`).flatMap((m) => m.files);
      const before = files().length;
      const response = await command(user, `issue ${device}`);
      expect(response.statusCode).toBe(200);
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

    /** The owner's 👍 on the prompt, delivered the way Slack would: a signed `reaction_added` event to the Bolt handler. */
    const react = (user: string, prompt: StoredMessage, reaction = '+1') =>
      call(
        eventCallback(
          {
            type: 'reaction_added',
            user,
            reaction,
            item_user: 'UBOT',
            item: { type: 'message', channel: prompt.channel, ts: prompt.ts },
            event_ts: `${Date.now() / 1000}`,
          },
          `Ev0E2E${++events}`,
        ),
      );

    beforeAll(async () => {
      const users = [...DEFAULT_USERS, { id: 'U0CAROL', name: 'carol', real_name: 'Carol Example' }];
      [vpn, db, slack] = await Promise.all([
        prepareTestVpn({ prefix: 'e2e-login-approval', management: true, initialCrl: false }),
        testDatabase(),
        startSlackStandIn({ users, usergroups: DEFAULT_USERGROUPS }),
      ]);
      stateDir = tempDir('e2e-login-approval-state');
      await new LocalCaStore(stateDir.path).save(caMaterial(vpn.ca));
      const env = botEnv(slack, db.tableName, stateDir.path, {
        ADMIN_CHANNEL_ID: ADMIN_CHANNEL,
        APPROVAL_TIMEOUT_S: String(APPROVAL_TIMEOUT_S),
        VPN_ENDPOINTS: JSON.stringify([
          {
            type: 'openvpn',
            name: 'e2e',
            management: vpn.management,
            crlFile: vpn.files.crl,
            remote: vpn.remote,
            tlsCryptKeyFile: vpn.files.tlsCrypt,
          },
        ]),
      });
      const config = loadConfig(env);

      // OpenVPN will not start without its CRL: the app publishes the first one, as it would on a new server.
      const admin = new VpnAdmin({
        config,
        ca: vpn.ca,
        ...stores(),
        endpoints: endpointsFor(config, vpn.ca),
        alerts: { send: async () => undefined },
        coalesceMs: 0,
      });
      expect((await admin.publishAll('U0ADMIN'))[0].outcome).toBe('published');
      // The hand-window must outlast the owner's time to answer, or OpenVPN drops the client first.
      server = await vpn.start([
        '--management-client-auth',
        '--auth-user-pass-optional',
        '--hand-window',
        String(APPROVAL_TIMEOUT_S * 5),
      ]);

      bolt = createSlackLambdaHandler(
        () => loadConfig(env),
        async (cfg, database) => {
          // The bot's endpoint sends its commands through the bridge's connection, as npm start wires it.
          const queue = await inProcessJobs(cfg, database, { management: new Map([['e2e', management]]) });
          queues.push(queue);
          return queue;
        },
      ) as Bolt;
      const client = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
      deps = {
        ...stores(),
        notifier: new SlackApprovalNotifier(
          client,
          adminAlertsFor(config, client, (message) => bridgeLog.push(message)),
        ),
        clock: { now: () => new Date() },
        policy: approvalPolicy(config),
      };
      management = await ManagementClient.connect(vpn.management);
      bridge = new OpenVpnConnectBridge({
        management,
        endpointId: ENDPOINT,
        decide: async (request) => {
          asked.push(request);
          const started = Date.now();
          const decision = await decideConnection(deps, request);
          decided.push({ request, decision, ms: Date.now() - started });
          return decision;
        },
        reauth: async (commonName) => {
          const record = await deps.certificates.byActiveCn(commonName);
          return record !== undefined && effectiveStatus(record, new Date()) === 'active';
        },
        log: (message, error) => bridgeLog.push(`${message}${error instanceof Error ? `: ${error.message}` : ''}`),
      });
      bridge.start();
    }, 60_000);

    afterAll(async () => {
      bridge?.stop();
      await management?.close();
      await vpn?.stop();
      // Jobs still running in the background (Home refreshes) finish before their Slack and table go away.
      await Promise.all(queues.map((queue) => queue.idle()));
      await slack?.stop();
      await db?.drop();
      stateDir?.remove();
    }, 30_000);

    let alice: Member;
    let aliceClient: RunningOpenVpn;

    it('(a) a profile from /vpn issue connects once its owner reacts 👍 to the DM', async () => {
      alice = await issue('U0ALICE', 'laptop');
      expect(alice.cn).toMatch(/^alice-example\.laptop--[a-z2-7]{5}-U0ALICE\.vpn\.test$/);

      aliceClient = vpn.startClient(alice.profile);
      const prompt = await promptFor('U0ALICE', alice.cn);
      expect(JSON.stringify(prompt.blocks)).toMatch(/127\.0\.0\.1[\s\S]*openvpn:e2e/);
      // Held by OpenVPN until the owner answers.
      expect(aliceClient.log()).not.toMatch(CONNECTED);

      // The bot records which message is the prompt right after posting it; a 👍 counts only from then on.
      await eventually(
        async () => (await stores().approvals.recent('U0ALICE', 1))[0]?.ts === prompt.ts || undefined,
        'the prompt recorded on its approval',
      );
      expect((await react('U0ALICE', prompt)).statusCode).toBe(200);
      await aliceClient.waitFor(CONNECTED);
      expect((await decisionFor(alice.cn)).decision).toMatchObject({ allow: true, reason: 'approved' });
      expect(asked.find((r) => r.commonName === alice.cn)).toMatchObject({
        endpointId: ENDPOINT,
        publicIp: '127.0.0.1',
        platform: 'linux',
      });
      expect(server.log()).toMatch(/MANAGEMENT: CMD 'client-auth-nt \d+ \d+'/);
      await eventually(
        () => /Approved/.test(JSON.stringify(slack.messages('DU0ALICE').find((m) => m.ts === prompt.ts))),
        'the DM updated to Approved',
      );
    }, 40_000);

    it('(b) nobody answers: refused at the deadline with the timeout message, and the DM says Expired', async () => {
      const bob = await issue('U0BOB', 'phone');
      const client = vpn.startClient(bob.profile);
      const prompt = await promptFor('U0BOB', bob.cn);

      const log = await client.waitFor(/AUTH_FAILED/, { timeoutMs: (APPROVAL_TIMEOUT_S + 10) * 1000 });
      expect(log).toMatch(/AUTH_FAILED,Nobody approved this login in Slack in time/);
      expect(log).not.toMatch(CONNECTED);
      const { decision, ms } = await decisionFor(bob.cn);
      expect(decision).toMatchObject({ allow: false, reason: 'timeout' });
      expect(ms).toBeGreaterThanOrEqual(APPROVAL_TIMEOUT_S * 1000 - 100);
      await eventually(
        () => /Expired/.test(JSON.stringify(slack.messages('DU0BOB').find((m) => m.ts === prompt.ts))),
        'the DM updated to Expired',
      );
      expect((await stores().approvals.recent('U0BOB', 1))[0]).toMatchObject({ status: 'EXPIRED', cn: bob.cn });
      await client.stop();
    }, 40_000);

    it('(c) after /vpn revoke, a new attempt is refused without a prompt, and the CRL lists the serial', async () => {
      const crlBefore = readFileSync(vpn.files.crl, 'utf8');
      const confirm = await command('U0ADMIN', 'revoke <@U0ALICE> keyCompromise');
      const body = JSON.parse(confirm.body!) as { blocks: { elements?: { action_id: string; value?: string }[] }[] };
      const button = body.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTION.revokeConfirm)!;
      expect(JSON.parse(button.value!)).toEqual({ slackId: 'U0ALICE', reason: 'keyCompromise' });
      expect(
        (await call(blockAction('U0ADMIN', ACTION.revokeConfirm, button.value!, slack.mintResponseUrl('U0ADMIN'))))
          .statusCode,
      ).toBe(200);

      const report = await eventually(
        () =>
          slack
            .responses('U0ADMIN')
            .find((r) => r.body.replace_original === true && JSON.stringify(r.body).includes(ENDPOINT)),
        'the revocation report',
        40_000,
      );
      // Alice's approved session is ended through the bridge's management connection (OpenVPN serves only one).
      expect(JSON.stringify(report.body)).toContain(`${ENDPOINT}*: 1 session terminated`);
      await aliceClient.waitFor(/SIGTERM\[soft,server-pushed-halt\]/);
      expect((await stores().certificates.get(alice.serial))?.status).toBe('revoked');
      const crlAfter = readFileSync(vpn.files.crl, 'utf8');
      expect(parseCrl(crlAfter).revocations.map((r) => r.serial)).toContain(alice.serial);

      const promptsBefore = prompts('U0ALICE', alice.cn).length;
      const asksBefore = asked.filter((r) => r.commonName === alice.cn).length;
      const postsBefore = slack.callsTo('chat.postMessage').length;

      // The CRL is current, so OpenVPN itself refuses the handshake: the bridge is never asked.
      let since = server.log().length;
      const retry = vpn.startClient(alice.profile);
      await server.waitFor(
        new RegExp(`VERIFY ERROR: depth=0, error=certificate revoked.*CN=${alice.cn.replace(/\./g, '\\.')}`),
        { since },
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(retry.log()).not.toMatch(CONNECTED);
      await retry.stop();
      expect(asked.filter((r) => r.commonName === alice.cn)).toHaveLength(asksBefore);

      // The database gate on its own: as if the new CRL had not reached the server yet (say, deferred to the
      // maintenance window), the handshake passes and the bridge refuses at once, without asking anyone.
      vpn.writeCrl(crlBefore);
      since = server.log().length;
      const gated = vpn.startClient(alice.profile);
      const log = await gated.waitFor(/AUTH_FAILED/);
      expect(log).toMatch(/AUTH_FAILED,This VPN certificate is not active/);
      expect(log).not.toMatch(CONNECTED);
      expect(server.log().slice(since)).toMatch(/MANAGEMENT: CMD 'client-deny \d+ \d+ "unknown-certificate"/);
      const gate = decided.filter((d) => d.request.commonName === alice.cn).at(-1)!;
      expect(gate.decision).toMatchObject({ allow: false, reason: 'unknown-certificate' });
      expect(gate.ms).toBeLessThan(2_000);
      await gated.stop();
      vpn.writeCrl(crlAfter);

      expect(prompts('U0ALICE', alice.cn)).toHaveLength(promptsBefore);
      expect(
        slack
          .callsTo('chat.postMessage')
          .slice(postsBefore)
          .filter((c) => c.args.channel === 'DU0ALICE'),
      ).toEqual([]);
    }, 60_000);

    it('(d) "Not me" refuses the login, pauses the certificate and alerts the admin channel', async () => {
      const carol = await issue('U0CAROL', 'desktop');
      const client = vpn.startClient(carol.profile);
      const prompt = await promptFor('U0CAROL', carol.cn);

      expect((await call(blockAction('U0CAROL', ACTION.notMe, buttonValue(prompt, 1)))).statusCode).toBe(200);
      const log = await client.waitFor(/AUTH_FAILED/);
      expect(log).toMatch(/AUTH_FAILED,You answered Not me in Slack, so this login was refused/);
      expect(log).not.toMatch(CONNECTED);
      expect((await decisionFor(carol.cn)).decision).toMatchObject({ allow: false, reason: 'denied-by-owner' });
      expect((await stores().certificates.get(carol.serial))?.status).toBe('suspended');
      const alert = await eventually(
        () => slack.messages(ADMIN_CHANNEL).find((m) => /Not me/.test(m.text) && m.text.includes(carol.cn)),
        'the admin alert',
      );
      expect(alert.text).toContain(carol.serial);
      expect(alert.text).toMatch(/from `127\.0\.0\.1`, linux/);
      await eventually(
        () => /Refused/.test(JSON.stringify(slack.messages('DU0CAROL').find((m) => m.ts === prompt.ts))),
        'the DM updated to Refused',
      );
      await client.stop();

      // Every question OpenVPN asked was answered without an error, and no Slack call of the notifier failed.
      expect(bridgeLog).toEqual([]);
    }, 40_000);
  },
);
