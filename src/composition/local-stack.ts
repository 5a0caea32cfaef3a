import { randomBytes } from 'node:crypto';
import { agentStoresFor } from '../adapters/dynamodb/agent-stores';
import type { Database } from '../adapters/dynamodb/client';
import { VpnAdmin } from '../services/vpn-admin';
import { caStoreFor } from './ca-store';
import { ensureLocalTlsCryptKey, endpointsFor, localEndpointConfig } from './endpoints';
import { storeLocalTlsCryptV2Key } from './tls-crypt-v2-keys';
import { isLocalMode, loadCaFrom, stateDir } from '../state';
import { storesFor } from '../adapters/dynamodb/stores';
import type { Config, EndpointConfig } from '../config';
import { CertificateAuthority, loadCaCertificate } from '../pki/ca';
import { createAdmin } from './worker';
import { AgentSettings, ServedConfig, agentTableStoresFor, createAgent } from './agent';
import type { Agent } from '../agent/agent';
import type { AgentLog, VpnEndpoint } from '../ports';
import { messageOf } from '../domain/errors';
import { scheduleDaily } from '../local/daily';
import { scheduleExpirySweep } from '../local/expiry-sweep';
import { scheduleFloodWatch } from '../local/flood-watch';
import { scheduleOffboardingReconcile } from '../local/offboarding-reconcile';
import { scheduleAgentWatch } from '../local/agent-watch';
import { RunningBot, startBot } from './local-bot';
import { startConsoleServer } from '../local/console/server';
import type { StateLock } from '../local/lock';
import {
  crlNeedsPublishing,
  openvpnAvailability,
  prepareLocalOpenVpn,
  removeForeignCrl,
  startLocalOpenVpn,
} from '../local/openvpn-server';
import { OpenVpnSupervisor } from '../local/openvpn-supervisor';
import type { Prepared, Started } from '../local/prepare';
import type { Progress } from '../local/progress';
import { SlackStandIn, startSlackStandIn } from '../local/slack-standin/server';
import { ADMINS_CHANNEL, BOT_ID, BOT_USER_ID } from '../local/slack-standin/workspace';
import { DAY_MS, sleep } from '../domain/time';

/** The console's admin channel, where "Not me" alerts land, unless ADMIN_CHANNEL_ID says otherwise. */
const CONSOLE_ADMIN_CHANNEL = ADMINS_CHANNEL;
const CONSOLE_ADMIN = 'U0ADMIN';
const ACTOR = 'local:npm-start';
/**
 * What the console keeps of its Slack history: enough to scroll back through a day's work, bounded so a long run does
 * not grow.
 */
const CONSOLE_RETENTION = { messagesPerChannel: 200, ephemeralsPerUser: 50, files: 50, calls: 500 };

/**
 * The agent's pace in npm start. Everything it talks to is on this host, so polling costs next to nothing,
 * and a person at the console waits on it: a revoke's kill within half a second rather than 2 s (the bot
 * waits 10 s for it), a published CRL on disk within a second rather than 5 s (the publisher reads it back
 * for ~31 s). The heartbeat every second rather than 15 s: the bot revokes the sessions the last heartbeat
 * listed, so a login a moment before a revoke is in it, and /vpn crl and doctor see a server that stopped
 * at once. The management link retries every second at most: a restarted server's logins are unanswered
 * until it is back on.
 */
const LOCAL_AGENT: Pick<AgentSettings, 'intervalsMs' | 'reconnectBackoffMs'> = {
  intervalsMs: { kills: 500, crl: 1_000, heartbeat: 1_000 },
  reconnectBackoffMs: [250, 500, 1_000],
};
/** How long npm start waits for the agent's management link to a (re)started local server before it goes on. */
const LINK_WAIT_MS = 10_000;
/** How long it waits for a heartbeat saying that server is up. */
const HEALTHY_WAIT_MS = 15_000;

type OpenVpnConfig = Extract<EndpointConfig, { type: 'openvpn' }>;

export interface RunningStack {
  /** "what: where" lines for the ready banner. */
  where: [string, string][];
  /** Something to do first, for the banner's last line. */
  hint: string;
  /** Stops every part that was started, the last one first; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * `npm start`, second half: the Slack side, the local OpenVPN server, the agent serving it (and every
 * other `openvpn` endpoint configured), and the bot in the console (no Slack tokens), Socket Mode or
 * HTTP. Every part is stopped again when a later one fails to start, so a failure never leaves half a
 * stack running.
 */
export async function startStack(initial: Config, progress: Progress, prepared: Prepared): Promise<RunningStack> {
  const { started, lock, mode } = prepared;
  try {
    const ca = prepared.ca ?? (await loadCaFrom(caStoreFor(initial)));
    const db = await prepared.database;

    let slack: SlackStandIn | undefined;
    let slackConfig = initial;
    if (mode === 'console') {
      // A fresh token per run: the stand-in's Web API then answers only the bot this process started.
      slack = await startSlackStandIn({
        token: `xoxb-local-${randomBytes(16).toString('hex')}`,
        retention: CONSOLE_RETENTION,
      });
      started.add('the Slack stand-in', () => slack!.stop());
      slackConfig = consoleConfig(initial, slack);
    }
    const local = initial.VPN_ENDPOINTS.length === 0 && isLocalMode(initial);
    const config = servedByAgent(slackConfig, local);
    const served = config.VPN_ENDPOINTS.filter((endpoint): endpoint is OpenVpnConfig => endpoint.type === 'openvpn');

    const vpn = local
      ? await startLocalVpn(config, ca, db, lock, started, progress)
      : served.length > 0
        ? {
            where: served.map((endpoint) => `openvpn:${endpoint.name}`).join(', '),
            agent: await startAgent(config, ca, db, served, started, progress),
          }
        : undefined;
    const wiring = local ? { runsBeside: localEndpointConfig(config).name } : {};
    const bot = await startBot(config, db, mode, wiring);
    started.add('the bot', () => bot.stop());
    const { admin } = await createAdmin(config, db, wiring);
    // What the scheduler function does on AWS: CRL renewal, the session sweep, reminders, retirements.
    const daily = scheduleDaily(admin, (message) => progress.warn(message));
    started.add('the daily job', () => daily.stop());
    const agentWatch = scheduleAgentWatch(admin, (message) => progress.warn(message));
    started.add('the agent check', () => agentWatch.stop());
    const expirySweep = scheduleExpirySweep(admin, (message) => progress.warn(message));
    started.add('the expiry sweep', () => expirySweep.stop());
    const floodWatch = scheduleFloodWatch(admin, (message) => progress.warn(message));
    started.add('the flood watch', () => floodWatch.stop());
    const reconcile = scheduleOffboardingReconcile(admin, (message) => progress.warn(message));
    started.add('the offboarding reconcile', () => reconcile.stop());

    const where: [string, string][] = [];
    let hint: string;
    if (mode === 'console') {
      const console = await startConsoleServer({
        port: config.PORT,
        slack: slack!,
        signingSecret: config.SLACK_SIGNING_SECRET!,
        admins: config.ADMIN_SLACK_IDS,
        adminChannel: config.ADMIN_CHANNEL_ID,
        app: bot.listener!,
        about: aboutLines(config, db, vpn),
      });
      started.add('the console', () => console.stop());
      where.push(
        ['Console', `http://localhost:${config.PORT}/  (plays Slack: Ada Admin, Alice and Bob)`],
        ['Slack events', `${console.url}/slack/events (signed requests, from the console)`],
        ['Slack Web API', `${slack!.apiUrl} (stand-in)`],
      );
      hint = `Open http://localhost:${config.PORT}/, pick who you are, and type /vpn issue.`;
    } else {
      where.push(['Slack', botWhere(bot)]);
      hint =
        mode === 'socket'
          ? 'In Slack, type /vpn help.'
          : `Point your tunnel at ${bot.url} and type /vpn help in Slack.`;
    }
    where.push(['DynamoDB', db.where], ['VPN endpoint', endpointWhere(config, vpn)]);
    if (vpn) where.push(['VPN agent', agentWhere(vpn.agent)]);
    where.push(['State', `${stateDir(config)} (CA in ca/, data in dynamodb/, OpenVPN files in openvpn/)`]);
    return {
      where,
      hint,
      stop: () => started.stop(),
    };
  } catch (error) {
    await started.stop();
    throw error;
  }
}

function consoleConfig(config: Config, slack: SlackStandIn): Config {
  return {
    ...config,
    SLACK_BOT_TOKEN: slack.token,
    // A fresh secret per run: only this process signs requests to the bot.
    SLACK_SIGNING_SECRET: randomBytes(32).toString('hex'),
    SLACK_APP_TOKEN: undefined,
    SLACK_API_URL: slack.apiUrl,
    SLACK_BOT_ID: BOT_ID,
    SLACK_BOT_USER_ID: BOT_USER_ID,
    ADMIN_SLACK_IDS: config.ADMIN_SLACK_IDS.length > 0 ? config.ADMIN_SLACK_IDS : [CONSOLE_ADMIN],
    ADMIN_CHANNEL_ID: config.ADMIN_CHANNEL_ID ?? CONSOLE_ADMIN_CHANNEL,
  };
}

/**
 * npm start runs the agent for every `openvpn` endpoint (its own local one when none is configured), so
 * in this process they are all "servedBy": "agent": the bot reaches them through the table, exactly as a
 * deployed bot reaches `vpnctl agent`, and the local stack tests the production path.
 */
function servedByAgent(config: Config, local: boolean): Config {
  const endpoints = local ? [localEndpointConfig(config)] : config.VPN_ENDPOINTS;
  return {
    ...config,
    VPN_ENDPOINTS: endpoints.map((endpoint) =>
      endpoint.type === 'openvpn' ? { ...endpoint, servedBy: 'agent' as const } : endpoint,
    ),
  };
}

/** Its lines among npm start's own: events as ✔, faults as ⚠ with their cause. */
function agentLog(progress: Progress): AgentLog {
  return {
    info: (message) => progress.step(`agent: ${message}`),
    warn: (message) => progress.warn(`agent: ${message}`),
    error: (message, error) => progress.warn(`agent: ${message}${error === undefined ? '' : ` (${messageOf(error)})`}`),
  };
}

/** The agent, in this process: built here, stopped before whatever server it holds a management connection to. */
function createLocalAgent(
  config: Config,
  ca: CertificateAuthority,
  db: Database,
  endpoints: ServedConfig[],
  progress: Progress,
): Agent {
  // It gets the CA certificate from the CA npm start loaded: no CA_CERT_FILE to keep in step with it.
  return createAgent(
    config,
    db,
    agentTableStoresFor(db),
    { ...LOCAL_AGENT, log: agentLog(progress) },
    { endpoints, ca: loadCaCertificate(ca.certPem) },
  );
}

/** The agent for the configured `openvpn` endpoints, whose servers run elsewhere (on this host or not). */
async function startAgent(
  config: Config,
  ca: CertificateAuthority,
  db: Database,
  endpoints: OpenVpnConfig[],
  started: Started,
  progress: Progress,
): Promise<Agent> {
  const agent = createLocalAgent(config, ca, db, endpoints, progress);
  started.add('the agent', () => agent.stop());
  await agent.start();
  progress.step(`agent serving ${servingLine(agent)}`);
  return agent;
}

const servingLine = (agent: Agent) =>
  agent
    .state()
    .map((state) => `${state.endpoint} (${state.answeringLogins ? 'answering logins' : 'logins not answered yet'})`)
    .join(', ');

/** Resolves once the agent answers logins for `endpoint`, or after `timeoutMs`; whether it does. */
async function answering(agent: Agent, endpoint: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  const now = () => agent.state().some((state) => state.endpoint === endpoint && state.answeringLogins);
  while (!now() && Date.now() < until) await sleep(100);
  return now();
}

/**
 * Resolves once the endpoint's agent has reported it healthy through the table, or after `timeoutMs`; whether it has.
 */
async function reportedHealthy(endpoint: VpnEndpoint, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  const healthy = () =>
    endpoint.health().then(
      (health) => health.ok,
      () => false,
    );
  while (!(await healthy())) {
    if (Date.now() >= until) return false;
    await sleep(200);
  }
  return true;
}

/** What to do when npm start's own OpenVPN server does not answer: VPN_ENDPOINTS has nothing to do with it. */
const localServerDown = (logFile: string) =>
  `npm start restarts it by itself (why it stopped: ${logFile}). If npm start is not running, start it; if the server keeps failing, stop npm start, fix what the log says, start it again.`;

interface RunningVpn {
  where: string;
  agent: Agent;
}

/** The local OpenVPN server and the agent serving it, or a ⚠ saying exactly why there is no server. */
async function startLocalVpn(
  config: Config,
  ca: CertificateAuthority,
  db: Database,
  lock: StateLock,
  started: Started,
  progress: Progress,
): Promise<RunningVpn> {
  const endpoint = localEndpointConfig(config);
  const endpointId = `openvpn:${endpoint.name}`;
  ensureLocalTlsCryptKey(endpoint);
  if (endpoint.tlsCryptV2ServerKeyFile !== undefined)
    await storeLocalTlsCryptV2Key(config, endpoint.name, endpoint.tlsCryptV2ServerKeyFile);
  prepareLocalOpenVpn(config, ca, endpoint);
  // The bot's side of the endpoint: what it sees of it is what the agent reports through the table.
  const endpoints = endpointsFor(config, ca, { agent: agentStoresFor(db) });
  const admin = new VpnAdmin({
    config,
    ca,
    ...storesFor(db),
    ...agentStoresFor(db),
    endpoints,
    alerts: { send: async (alert) => progress.warn(alert.message) },
  });
  const available = await openvpnAvailability(config, endpoint);
  const agent = createLocalAgent(
    config,
    ca,
    db,
    [{ ...endpoint, whenDown: localServerDown(endpoint.logFile!) }],
    progress,
  );
  const running: { supervisor?: OpenVpnSupervisor } = {};
  // Registered first, so stopped last: the agent lets go of the server's management connection before it stops.
  started.add('OpenVPN', async () => {
    const last = running.supervisor?.server;
    await running.supervisor?.stop();
    if (last) lock.removeChild(last.pid);
  });
  started.add('the agent', () => agent.stop());
  let agentRunning = false;
  const startAgentOnce = async () => {
    if (agentRunning) return;
    agentRunning = true;
    await agent.start();
  };

  if ('program' in available) {
    // The lock makes this run the only one deciding this endpoint's logins: any still PENDING lost their handler when
    // an earlier run stopped.
    const abandoned = await admin.closeAbandonedApprovals({
      before: new Date(Date.now() + DAY_MS),
      endpointId,
      actor: ACTOR,
    });
    if (abandoned.length > 0)
      progress.step(
        `closed ${abandoned.length} login${abandoned.length === 1 ? '' : 's'} the last run left waiting for approval (expired, in the audit log)`,
      );
  }
  if (removeForeignCrl(endpoint.crlFile, ca))
    progress.warn(`removed ${endpoint.crlFile}: our CA did not sign it; the agent writes ours in its place`);
  if (crlNeedsPublishing(endpoint.crlFile, ca, config.CRL_RENEW_BEFORE_DAYS)) {
    // OpenVPN refuses to start without its crl-verify file, and a stale one would lock everyone out. The CRL
    // takes the production path all the same: published to the table, written by the agent, read back by
    // the publisher. The agent therefore starts first here; without a server it answers no logins yet.
    await startAgentOnce();
    const [outcome] = await admin.publishAll(ACTOR);
    progress.step(
      `published CRL${outcome && 'crlNumber' in outcome ? ` #${String(outcome.crlNumber)}` : ''} to ${endpoint.crlFile} (through the agent)`,
    );
  }
  if ('why' in available) {
    await startAgentOnce();
    progress.warn(`no local OpenVPN server: ${available.why}.`);
    progress.warn(
      `running without a VPN endpoint: profiles still name ${endpoint.remote} and the CRL is kept in ${endpoint.crlFile}, but nothing answers there.`,
    );
    progress.step(`agent serving ${servingLine(agent)}`);
    return { where: `none running (profiles name ${endpoint.remote})`, agent };
  }

  let spawned: number | undefined;
  const start = async () => {
    let server;
    try {
      server = await startLocalOpenVpn({
        config,
        ca,
        endpoint,
        program: available.program,
        onSpawn: (pid) => {
          spawned = pid;
          lock.addChild({ pid, what: 'OpenVPN', marker: endpoint.crlFile });
        },
      });
    } catch (error) {
      if (spawned !== undefined) lock.removeChild(spawned);
      throw error;
    }
    // A server is ready for logins only once the agent's bridge is on its management interface.
    if (agentRunning && !(await answering(agent, endpointId, LINK_WAIT_MS)))
      progress.warn(
        `the agent is not on the management interface of OpenVPN (pid ${server.pid}) yet: logins are not answered until it is`,
      );
    return server;
  };
  const supervisor = (running.supervisor = await progress.task(
    `starting OpenVPN ${available.program.version}`,
    () =>
      OpenVpnSupervisor.start({
        start,
        down: (server) => lock.removeChild(server.pid),
        warn: (line) => progress.warn(line),
        step: (line) => progress.step(line),
      }),
    () =>
      `OpenVPN ${available.program.version} on udp ${endpoint.remote.split(' ').slice(0, 2).join(':')}, management ${endpoint.management}${config.LOCAL_VPN_NOEXEC === 'true' ? ' (LOCAL_VPN_NOEXEC: no address or route is set up)' : ''}`,
  ));
  if (agentRunning) {
    // The agent started before the server and reported it down: ready once the bot sees it up.
    if (!(await reportedHealthy(endpoints[0], HEALTHY_WAIT_MS)))
      progress.warn(`the agent has not reported ${endpointId} healthy yet: /vpn crl and doctor say what it sees`);
  } else await startAgentOnce();
  progress.step(`agent serving ${servingLine(agent)}`);
  return {
    agent,
    where: `openvpn:${endpoint.name}, udp ${endpoint.remote.split(' ').slice(0, 2).join(':')}, management ${endpoint.management}, logins approved in Slack; log ${supervisor.server!.logFile}`,
  };
}

function endpointWhere(config: Config, vpn: RunningVpn | undefined): string {
  if (vpn) return vpn.where;
  if (config.VPN_ENDPOINTS.length > 0)
    return config.VPN_ENDPOINTS.map((endpoint) =>
      endpoint.type === 'openvpn' ? `openvpn:${endpoint.name}` : endpoint.id,
    ).join(', ');
  return 'none configured (VPN_ENDPOINTS)';
}

/** Where the agent runs and what it serves, for the banner. */
function agentWhere(agent: Agent): string {
  return `in this process (id ${agent.id}), serving ${agent
    .state()
    .map((state) => state.endpoint)
    .join(', ')} through DynamoDB as vpnctl agent would`;
}

function botWhere(bot: RunningBot): string {
  return bot.mode === 'socket' ? 'your workspace, in Socket Mode' : `your workspace, over HTTP at ${bot.url}`;
}

function aboutLines(config: Config, db: Database, vpn: RunningVpn | undefined): Record<string, string> {
  return {
    'VPN endpoint': endpointWhere(config, vpn),
    ...(vpn && { 'VPN agent': agentWhere(vpn.agent) }),
    DynamoDB: db.where,
    'State dir': stateDir(config),
    Admins: config.ADMIN_SLACK_IDS.join(', '),
    'Approval timeout': `${config.APPROVAL_TIMEOUT_S} s`,
  };
}
