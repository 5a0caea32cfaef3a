import { readFileSync, statSync } from 'node:fs';
import { agentStoresFor } from '../src/adapters/dynamodb/agent-stores';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { storesFor } from '../src/adapters/dynamodb/stores';
import { LocalCaStore } from '../src/adapters/local-files/ca-store';
import { AGENT_INTERVALS_MS } from '../src/agent/agent';
import { approvalPolicy } from '../src/composition/connect-handler';
import { createSlackLambdaHandler } from '../src/composition/slack-lambda';
import { createAdmin } from '../src/composition/worker';
import { loadConfig } from '../src/config';
import { eventCallbackRequest, functionUrlEvent } from '../src/local/slack-requests';
import { SlackStandIn, startSlackStandIn } from '../src/local/slack-standin/server';
import { caMaterial } from '../src/pki/ca';
import { parseCrl } from '../src/pki/crl';
import { DecideDeps, decideConnection } from '../src/services/decide-connection';
import { SlackApprovalNotifier } from '../src/slack/approval-notifier';
import { adminAlertsFor } from '../src/slack/admin-alert';
import { slackClient } from '../src/slack/client';
import { AgentProcess, startAgentProcess } from '../test/helpers/agent-process';
import { CONNECTED, RunningOpenVpn, TestVpn, freeTcpPort, prepareTestVpn } from '../test/helpers/openvpn';
import { certificateRecord } from '../test/helpers/records';
import { HAS_TUN, OPENVPN, tempDir } from '../test/helpers/tools';
import { ms, report } from './lib';

const SECRET = 'bench-secret';
const ENDPOINT = 'openvpn:bench';
/** Logins approved per path, and revocations timed: a few dozen rounds in all. */
const APPROVALS = 16;
const REVOCATIONS = 5;
/** The agent's loops as deployed, but a heartbeat every second so a new session is listed before its revoke. */
const INTERVALS = { crl: AGENT_INTERVALS_MS.crl, kills: AGENT_INTERVALS_MS.kills, heartbeat: 1_000 };
const HALTED = /SIGTERM\[soft,server-pushed-halt\]/;

const memberId = (path: string, i: number) => `U0${path}${String(i).padStart(3, '0')}`;

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};

/** As the approval bench: a person reads the prompt for 0.3–2.3 s before reacting. */
const reading = () => new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 2_000));

/** Wall-clock moments at which OpenVPN logged each `client-auth-nt` it received, in order. */
function authNtMoments(server: RunningOpenVpn): number[] {
  const moments: number[] = [];
  let text = '';
  server.process.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    const seen = text.match(/MANAGEMENT: CMD 'client-auth-nt /g)?.length ?? 0;
    while (moments.length < seen) moments.push(performance.now());
  });
  return moments;
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`bench agent: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface World {
  vpn: TestVpn;
  server: RunningOpenVpn;
  slack: SlackStandIn;
  stores: ReturnType<typeof storesFor> & ReturnType<typeof agentStoresFor>;
  config: ReturnType<typeof loadConfig>;
  admin: Awaited<ReturnType<typeof createAdmin>>['admin'];
  bolt: (event: unknown, context: unknown) => Promise<unknown>;
  authNt: number[];
  stop(): Promise<void>;
}

/** DynamoDB Local, the Slack stand-in, a real OpenVPN server and `vpnctl agent` as its own process, as in production. */
async function world(): Promise<World> {
  const [vpn, slack, dynamo, managementPort] = await Promise.all([
    prepareTestVpn({ prefix: 'bench-agent', initialCrl: false }),
    startSlackStandIn({
      users: ['A', 'C'].flatMap((path) =>
        Array.from({ length: APPROVALS }, (_, i) => ({
          id: memberId(path, i),
          name: `m${path}${i}`,
          real_name: `Member ${path} ${i}`,
        })),
      ),
      usergroups: {},
    }),
    startDynamoDbLocal(),
    freeTcpPort(),
  ]);
  const stateDir = tempDir('bench-agent-state');
  const agents: AgentProcess[] = [];
  let server: RunningOpenVpn | undefined;
  const db = connectDatabase({ tableName: 'bench-agent', endpoint: dynamo.endpoint });
  const stop = async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    await vpn.stop();
    db.doc.destroy();
    await Promise.all([slack.stop(), dynamo.stop()]);
    stateDir.remove();
  };
  try {
    await ensureTable(db);
    await new LocalCaStore(stateDir.path).save(caMaterial(vpn.ca));
    const passwordFile = vpn.file('management.pw', 'bench management secret\n');
    const shared = {
      TABLE_NAME: db.tableName,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      CERT_DOMAIN: 'vpn.test',
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.apiUrl,
      AWS_REGION: 'us-east-1',
      VPN_ENDPOINTS: JSON.stringify([
        {
          type: 'openvpn',
          name: 'bench',
          servedBy: 'agent',
          management: `127.0.0.1:${managementPort}`,
          managementPasswordFile: passwordFile,
          crlFile: vpn.files.crl,
          remote: vpn.remote,
          tlsCryptKeyFile: vpn.files.tlsCrypt,
        },
      ]),
    };
    const config = loadConfig({
      ...shared,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_ID: 'BBOT',
      SLACK_BOT_USER_ID: 'UBOT',
      ADMIN_SLACK_IDS: 'U0ADMIN',
      STATE_DIR: stateDir.path,
    });
    const intervals = Object.entries(INTERVALS)
      .map(([name, value]) => `${name}=${value}`)
      .join(',');
    const agent = startAgentProcess(
      { ...shared, CA_CERT_FILE: vpn.files.ca, STATE_DIR: join(vpn.dir.path, 'agent-state') },
      ['--agent-id', 'bench-host:bench', '--intervals', intervals],
    );
    agents.push(agent);
    await agent.waitFor(/serving openvpn:bench/, { timeoutMs: 60_000 });
    // The first CRL, through the agent, before OpenVPN starts: it will not start without one.
    const { admin } = await createAdmin(config, db);
    const [first] = await admin.publishAll('U0ADMIN');
    if (first.outcome !== 'published')
      throw new Error(`bench agent: the first CRL was not published (${first.outcome})`);
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
    const authNt = authNtMoments(server);
    await agent.waitFor(/connected to the management interface/, { timeoutMs: 60_000 });
    const bolt = createSlackLambdaHandler(
      () => config,
      () => ({ enqueue: async () => undefined }),
    ) as World['bolt'];
    return {
      vpn,
      server,
      slack,
      stores: { ...storesFor(db), ...agentStoresFor(db) },
      config,
      admin,
      bolt,
      authNt,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

let events = 0;
function reaction(user: string, channel: string, ts: string) {
  return functionUrlEvent(
    eventCallbackRequest(
      {
        type: 'reaction_added',
        user,
        reaction: '+1',
        item_user: 'UBOT',
        item: { type: 'message', channel, ts },
        event_ts: `${Date.now() / 1000}`,
      },
      `Ev0AGENT${++events}`,
    ),
    SECRET,
  );
}

/** The next prompt posted to `user`'s DM. */
function promptOf(slack: SlackStandIn, user: string): Promise<{ channel: string; ts: string }> {
  return new Promise((resolve) => {
    const stop = slack.onChange((change) => {
      if (change.kind === 'message_posted' && change.channel === `D${user}`) {
        stop();
        resolve({ channel: change.channel, ts: change.ts });
      }
    });
  });
}

/** A member with an active certificate in the table and a profile for the test server. */
async function member(w: World, path: string, i: number) {
  const user = memberId(path, i);
  const { issued, path: profile } = await w.vpn.profileFor(`Member ${path} ${i}`, user);
  await w.stores.certificates.create(
    certificateRecord({ serial: issued.serial, cn: issued.cn, slackId: user, notAfter: issued.notAfter }),
  );
  return { user, cn: issued.cn, serial: issued.serial, profile };
}

/** Through the agent: a real client, the agent's bridge asks, the 👍 reaches the bot; timed to `client-auth-nt`. */
async function throughAgent(w: World) {
  const toAuthNt: number[] = [];
  const toConnected: number[] = [];
  const connected: { client: RunningOpenVpn; cn: string; serial: string }[] = [];
  for (let i = 0; i < APPROVALS; i++) {
    const m = await member(w, 'A', i);
    const prompted = promptOf(w.slack, m.user);
    const client = w.vpn.startClient(m.profile);
    const { channel, ts } = await prompted;
    await reading();
    const before = w.authNt.length;
    const received = performance.now();
    await w.bolt(reaction(m.user, channel, ts), {});
    await until(() => w.authNt.length > before || undefined, 'client-auth-nt');
    toAuthNt.push(w.authNt[before] - received);
    await client.waitFor(CONNECTED);
    toConnected.push(performance.now() - received);
    connected.push({ client, cn: m.cn, serial: m.serial });
  }
  return { toAuthNt, toConnected, connected };
}

/** The AWS path, the approval bench's method: the connect handler's decision in-process, timed from the 👍. */
async function throughConnectHandler(w: World): Promise<number[]> {
  const client = slackClient(w.config);
  const deps: DecideDeps = {
    ...w.stores,
    notifier: new SlackApprovalNotifier(
      client,
      adminAlertsFor(w.config, client, () => undefined),
    ),
    clock: { now: () => new Date() },
    policy: approvalPolicy(w.config),
  };
  const latencies: number[] = [];
  for (let i = 0; i < APPROVALS; i++) {
    const m = await member(w, 'C', i);
    const prompted = promptOf(w.slack, m.user);
    const decision = decideConnection(deps, {
      connectionId: `c${i}`,
      endpointId: 'cvpn-endpoint-0123456789abcdef0',
      commonName: m.cn,
      publicIp: '198.51.100.7',
      platform: 'mac',
      platformVersion: '14',
      clientVersion: '2.6.14',
    });
    const { channel, ts } = await prompted;
    await reading();
    const received = performance.now();
    const handled = w.bolt(reaction(m.user, channel, ts), {});
    const result = await decision;
    latencies.push(performance.now() - received);
    await handled;
    if (!result.allow) throw new Error(`bench agent: login ${i} was refused: ${result.reason}`);
  }
  return latencies;
}

const crlLists = (file: string, serial: string) => {
  try {
    return parseCrl(readFileSync(file, 'utf8')).revocations.some((r) => r.serial === serial);
  } catch {
    return false;
  }
};

/** Revoke (the use case the Slack worker runs) → the client told to halt, and → the serial in crl.pem. */
async function revocations(w: World, connected: { client: RunningOpenVpn; cn: string; serial: string }[]) {
  const toSessionEnded: number[] = [];
  const toCrlOnDisk: number[] = [];
  for (const { client, cn, serial } of connected.slice(0, REVOCATIONS)) {
    await until(async () => {
      const beat = await w.stores.agents.serving(ENDPOINT);
      return beat?.endpoints.some((r) => r.sessions.some((s) => s.commonName === cn)) || undefined;
    }, `a heartbeat listing ${cn}`);
    let lastMtime = statSync(w.vpn.files.crl).mtimeMs;
    const started = performance.now();
    const revoked = w.admin.revoke({ target: { serial }, reason: 'keyCompromise', actor: 'U0ADMIN' });
    const ended = client.waitFor(HALTED, { timeoutMs: 60_000 }).then(() => performance.now() - started);
    const onDisk = until(() => {
      const mtime = statSync(w.vpn.files.crl).mtimeMs;
      if (mtime === lastMtime) return undefined;
      lastMtime = mtime;
      return crlLists(w.vpn.files.crl, serial) ? performance.now() - started : undefined;
    }, `${serial} in crl.pem`);
    const [sessionMs, crlMs] = await Promise.all([ended, onDisk]);
    toSessionEnded.push(sessionMs);
    toCrlOnDisk.push(crlMs);
    await revoked;
  }
  return { toSessionEnded, toCrlOnDisk };
}

export async function agentBenchmarks(): Promise<void> {
  if (OPENVPN === undefined || !HAS_TUN) {
    report('agent', { skipped: 'openvpn or /dev/net/tun missing' });
    return;
  }
  const w = await world();
  try {
    const agent = await throughAgent(w);
    const aws = await throughConnectHandler(w);
    report('agent-approval-latency', {
      agent_p50_ms: ms(percentile(agent.toAuthNt, 0.5)),
      agent_p99_ms: ms(percentile(agent.toAuthNt, 0.99)),
      agent_connected_p50_ms: ms(percentile(agent.toConnected, 0.5)),
      aws_path_p50_ms: ms(percentile(aws, 0.5)),
      aws_path_p99_ms: ms(percentile(aws, 0.99)),
      runs: APPROVALS,
    });
    const revoked = await revocations(w, agent.connected);
    report('agent-revoke', {
      session_ended_p50_ms: ms(percentile(revoked.toSessionEnded, 0.5)),
      session_ended_max_ms: ms(Math.max(...revoked.toSessionEnded)),
      crl_on_disk_p50_ms: ms(percentile(revoked.toCrlOnDisk, 0.5)),
      crl_on_disk_max_ms: ms(Math.max(...revoked.toCrlOnDisk)),
      kills_poll_ms: INTERVALS.kills,
      crl_poll_ms: INTERVALS.crl,
      runs: REVOCATIONS,
    });
  } finally {
    await w.stop();
  }
}
