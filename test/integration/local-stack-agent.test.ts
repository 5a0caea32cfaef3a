import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import {
  blockActionRequest,
  eventCallbackRequest,
  sendToApp,
  slashCommandRequest,
} from '../../src/local/slack-requests';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { BOT_ID, BOT_USER_ID, GENERAL_CHANNEL, dmChannelId } from '../../src/local/slack-standin/workspace';
import { parseCrl } from '../../src/pki/crl';
import { ACTION } from '../../src/slack/ids';
import { testCa } from '../helpers/ca';
import { eventually } from '../helpers/eventually';
import { CONNECTED, ManagedTestVpn, prepareTestVpn } from '../helpers/openvpn';
import { PROMPT } from '../helpers/console-driver';
import { freeStackPorts, stackEnv, startStackProcess } from '../helpers/stack';
import { HAS_TUN, OPENVPN, describeWith, run, tempDir } from '../helpers/tools';

const HAS_VPN = {
  'Java 17+ (DynamoDB Local)': process.env.TEST_DYNAMODB_ENDPOINT !== undefined,
  openvpn: OPENVPN !== undefined,
  '/dev/net/tun': HAS_TUN,
  root: process.getuid?.() === 0,
};
const VPNCTL = join(__dirname, '..', '..', 'bin', 'vpnctl.js');
const SECRET = 'stack-agent-signing-secret';

describeWith(HAS_VPN, 'npm start serves the openvpn endpoints in VPN_ENDPOINTS through its agent', () => {
  let dir: ReturnType<typeof tempDir>;
  let vpn: ManagedTestVpn | undefined;
  let slack: SlackStandIn | undefined;
  beforeEach(() => {
    dir = tempDir('stack-agent');
  });
  afterEach(async () => {
    await vpn?.stop();
    await slack?.stop();
    dir.remove();
  });

  it("answers an external server's logins with the bot's decision, and a revoke through Slack ends the session, reaches its crl.pem and refuses the next login", async () => {
    // The server and npm start share one CA, as a real server and its bot do.
    const ca = await testCa();
    const state = join(dir.path, 'state');
    await new LocalCaStore(state).save({
      certPem: ca.certPem,
      keyPem: ca.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    vpn = await prepareTestVpn({ prefix: 'stack-agent-vpn', management: true });
    const server = await vpn.start(['--management-client-auth', '--auth-user-pass-optional', '--hand-window', '120']);
    slack = await startSlackStandIn({ token: 'xoxb-stack-agent' });
    const ports = await freeStackPorts();
    // Slack over HTTP (the console runs only on the local stack): the bot and the agent in one process.
    const env = stackEnv(state, ports, {
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_ID: BOT_ID,
      SLACK_BOT_USER_ID: BOT_USER_ID,
      ADMIN_SLACK_IDS: 'U0ADMIN',
      VPN_ENDPOINTS: JSON.stringify([
        {
          type: 'openvpn',
          name: 'office',
          management: vpn.management,
          crlFile: vpn.files.crl,
          remote: vpn.remote,
          tlsCryptKeyFile: vpn.files.tlsCrypt,
        },
      ]),
    });
    const stack = startStackProcess(env);
    try {
      const output = await stack.waitFor(/Press Ctrl-C to stop/);
      expect(output).toMatch(/agent serving openvpn:office \(answering logins\)/);
      expect(output).toMatch(/VPN agent +in this process .*serving openvpn:office/);
      expect(output).not.toMatch(/local OpenVPN|openvpn:local/);

      const stranger = vpn.startClient((await vpn.profileFor('Mallory', 'U0MALLORY')).path);
      await stranger.waitFor(/AUTH_FAILED/, { timeoutMs: 30_000 });
      expect(server.log()).toMatch(/MANAGEMENT: CMD 'client-deny \d+ \d+/);
      await stranger.stop();

      const profile = join(dir.path, 'alice.ovpn');
      const issued = await run(
        process.execPath,
        [VPNCTL, 'issue', '--user', 'U0ALICE', '--name', 'Alice', '--device', 'laptop', '--out', profile],
        { env, timeoutMs: 60_000 },
      );
      expect(issued.code).toBe(0);
      const client = vpn.startClient(profile);
      const channel = dmChannelId('U0ALICE');
      const prompt = await eventually(
        async () => slack!.messages(channel).find((message) => PROMPT.test(message.text)),
        "the approval prompt in Alice's DM",
        30_000,
      );
      expect(client.log()).not.toMatch(CONNECTED);
      slack.addReaction('U0ALICE', channel, prompt.ts, '+1');
      const reaction = {
        type: 'reaction_added',
        user: 'U0ALICE',
        reaction: '+1',
        item_user: prompt.user,
        item: { type: 'message', channel, ts: prompt.ts, channel_type: 'im' },
        event_ts: slack.nextTs(),
      };
      const answer = await sendToApp(
        `http://127.0.0.1:${ports.port}/slack/events`,
        eventCallbackRequest(reaction, 'Ev0STACKAGENT1'),
        SECRET,
      );
      expect(answer.status).toBe(200);
      await client.waitFor(CONNECTED, { timeoutMs: 30_000 });
      expect(server.log()).toMatch(/MANAGEMENT: CMD 'client-auth-nt \d+ \d+'/);

      // Revoke through Slack, as an admin would: the confirmation, then the click.
      const serial = /serial ([0-9A-F]+),/.exec(issued.stdout)![1];
      const events = `http://127.0.0.1:${ports.port}/slack/events`;
      const confirm = await sendToApp(
        events,
        slashCommandRequest({
          userId: 'U0ADMIN',
          text: 'revoke <@U0ALICE> keyCompromise',
          responseUrl: slack.mintResponseUrl('U0ADMIN'),
        }),
        SECRET,
      );
      expect(confirm.status).toBe(200);
      const blocks = (confirm.body as { blocks: { elements?: { action_id: string; value?: string }[] }[] }).blocks;
      const button = blocks.flatMap((block) => block.elements ?? []).find((e) => e.action_id === ACTION.revokeConfirm)!;
      const since = server.log().length;
      const click = await sendToApp(
        events,
        blockActionRequest({
          userId: 'U0ADMIN',
          actionId: ACTION.revokeConfirm,
          value: button.value,
          container: { type: 'message', channelId: GENERAL_CHANNEL, messageTs: slack.nextTs(), isEphemeral: true },
          responseUrl: slack.mintResponseUrl('U0ADMIN'),
        }),
        SECRET,
      );
      expect(click.status).toBe(200);
      await client.waitFor(/SIGTERM\[soft,server-pushed-halt\]/, { timeoutMs: 30_000 });
      await eventually(
        () => parseCrl(readFileSync(vpn!.files.crl, 'utf8')).revocations.some((r) => r.serial === serial) || undefined,
        'the serial in the crl.pem of the server',
        60_000,
      );
      const again = vpn.startClient(profile);
      await server.waitFor(/VERIFY ERROR: depth=0, error=certificate revoked/, { since, timeoutMs: 30_000 });
      await again.stop();
    } finally {
      expect(await stack.interrupt(60_000)).toBe(0);
    }
  }, 240_000);
});
