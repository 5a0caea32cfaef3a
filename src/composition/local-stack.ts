import { randomBytes } from 'node:crypto';
import type { Database } from '../adapters/dynamodb/client';
import type { ManagementClient } from '../adapters/openvpn/management';
import { VpnAdmin } from '../services/vpn-admin';
import { caStoreFor } from './ca-store';
import { endpointsFor, localEndpointConfig } from './endpoints';
import { isLocalMode, loadCaFrom, stateDir } from '../state';
import { storesFor } from '../adapters/dynamodb/stores';
import type { Config } from '../config';
import type { CertificateAuthority } from '../pki/ca';
import { createAdmin } from './worker';
import { startApprovalBridge } from './local-approval-bridge';
import { scheduleDaily } from '../local/daily';
import { scheduleAgentWatch } from '../local/agent-watch';
import { RunningBot, startBot } from './local-bot';
import { startConsoleServer } from '../local/console/server';
import type { StateLock } from '../local/lock';
import { crlNeedsPublishing, openvpnAvailability, startLocalOpenVpn } from '../local/openvpn-server';
import { OpenVpnSupervisor } from '../local/openvpn-supervisor';
import type { OpenVpnConnectBridge } from '../adapters/openvpn/connect-bridge';
import type { Prepared, Started } from '../local/prepare';
import type { Progress } from '../local/progress';
import { SlackStandIn, startSlackStandIn } from '../local/slack-standin/server';
import { BOT_ID, BOT_USER_ID } from '../local/slack-standin/workspace';
import { DAY_MS } from '../domain/time';

/** The console's admin channel, where "Not me" alerts land, unless ADMIN_CHANNEL_ID says otherwise. */
const CONSOLE_ADMIN_CHANNEL = 'C0VPNADMINS';
const CONSOLE_ADMIN = 'U0ADMIN';
const ACTOR = 'local:npm-start';
/** What the console keeps of its Slack history: enough to scroll back through a day's work, bounded so a long run does not grow. */
const CONSOLE_RETENTION = { messagesPerChannel: 200, ephemeralsPerUser: 50, files: 50, calls: 500 };

export interface RunningStack {
  /** "what: where" lines for the ready banner. */
  where: [string, string][];
  /** Something to do first, for the banner's last line. */
  hint: string;
  /** Stops every part that was started, the last one first; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * `npm start`, second half: the Slack side, the local OpenVPN server with the approval bridge, and
 * the bot in the console (no Slack tokens), Socket Mode or HTTP. Every part is stopped again when a
 * later one fails to start, so a failure never leaves half a stack running.
 */
export async function startStack(initial: Config, progress: Progress, prepared: Prepared): Promise<RunningStack> {
  const { started, lock, mode } = prepared;
  try {
    const ca = prepared.ca ?? (await loadCaFrom(caStoreFor(initial)));
    const db = await prepared.database;

    let config = initial;
    let slack: SlackStandIn | undefined;
    if (mode === 'console') {
      // A fresh token per run: the stand-in's Web API then answers only the bot this process started.
      slack = await startSlackStandIn({
        token: `xoxb-local-${randomBytes(16).toString('hex')}`,
        retention: CONSOLE_RETENTION,
      });
      started.add('the Slack stand-in', () => slack!.stop());
      config = consoleConfig(initial, slack);
    }

    const vpn = await startVpn(config, ca, db, lock, started, progress);
    const wiring = { management: vpn?.connections };
    const bot = await startBot(config, db, mode, wiring);
    started.add('the bot', () => bot.stop());
    const { admin } = await createAdmin(config, db, wiring);
    // What the scheduler function does on AWS: CRL renewal, the session sweep, reminders, retirements.
    const daily = scheduleDaily(admin, (message) => progress.warn(message));
    started.add('the daily job', () => daily.stop());
    const agentWatch = scheduleAgentWatch(admin, (message) => progress.warn(message));
    started.add('the agent check', () => agentWatch.stop());

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
    where.push(
      ['DynamoDB', db.where],
      ['VPN endpoint', vpn ? vpn.where : endpointWhere(config)],
      ['State', `${stateDir(config)} (CA in ca/, data in dynamodb/, OpenVPN files in openvpn/)`],
    );
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

interface RunningVpn {
  name: string;
  /** The server's management connection while it runs, by endpoint name: replaced when it is restarted. */
  connections: ReadonlyMap<string, ManagementClient>;
  where: string;
}

/** The local OpenVPN server and its approval bridge, or a ⚠ saying exactly why there is none. */
async function startVpn(
  config: Config,
  ca: CertificateAuthority,
  db: Database,
  lock: StateLock,
  started: Started,
  progress: Progress,
): Promise<RunningVpn | undefined> {
  if (config.VPN_ENDPOINTS.length > 0 || !isLocalMode(config)) return undefined;
  const endpoint = localEndpointConfig(config);
  // The CRL first: OpenVPN refuses to start without its crl-verify file, and a stale one would lock everyone out.
  const admin = new VpnAdmin({
    config,
    ca,
    ...storesFor(db),
    endpoints: endpointsFor(config, ca),
    alerts: { send: async (alert) => progress.warn(alert.message) },
  });
  if (crlNeedsPublishing(endpoint.crlFile, ca, config.CRL_RENEW_BEFORE_DAYS)) {
    const [outcome] = await admin.publishAll(ACTOR);
    progress.step(
      `published CRL${outcome && 'crlNumber' in outcome ? ` #${String(outcome.crlNumber)}` : ''} to ${endpoint.crlFile}`,
    );
  }
  const available = await openvpnAvailability(config, endpoint);
  if ('why' in available) {
    progress.warn(`no local OpenVPN server: ${available.why}.`);
    progress.warn(
      `running without a VPN endpoint: profiles still name ${endpoint.remote} and the CRL is kept in ${endpoint.crlFile}, but nothing answers there.`,
    );
    return undefined;
  }
  const endpointId = `openvpn:${endpoint.name}`;
  // The lock makes this run the only one deciding this endpoint's logins: any still PENDING lost their handler when an earlier run stopped.
  const abandoned = await admin.closeAbandonedApprovals({
    before: new Date(Date.now() + DAY_MS),
    endpointId,
    actor: ACTOR,
  });
  if (abandoned.length > 0)
    progress.step(
      `closed ${abandoned.length} login${abandoned.length === 1 ? '' : 's'} the last run left waiting for approval (expired, in the audit log)`,
    );

  const connections = new Map<string, ManagementClient>();
  let bridge: OpenVpnConnectBridge | undefined;
  let spawned: number | undefined;
  const start = async () => {
    try {
      return await startLocalOpenVpn({
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
  };
  const supervisor = await progress.task(
    `starting OpenVPN ${available.program.version}`,
    () =>
      OpenVpnSupervisor.start({
        start,
        up: (server) => {
          connections.set(endpoint.name, server.management);
          bridge = startApprovalBridge(config, db, server.management, endpointId);
        },
        down: (server) => {
          bridge?.stop();
          bridge = undefined;
          connections.delete(endpoint.name);
          lock.removeChild(server.pid);
        },
        warn: (line) => progress.warn(line),
        step: (line) => progress.step(line),
      }),
    () =>
      `OpenVPN ${available.program.version} on udp ${endpoint.remote.split(' ').slice(0, 2).join(':')}, management ${endpoint.management}${config.LOCAL_VPN_NOEXEC === 'true' ? ' (LOCAL_VPN_NOEXEC: no address or route is set up)' : ''}`,
  );
  started.add('OpenVPN', async () => {
    const last = supervisor.server;
    await supervisor.stop();
    if (last) lock.removeChild(last.pid);
  });
  started.add('the approval bridge', async () => bridge?.stop());
  return {
    name: endpoint.name,
    connections,
    where: `openvpn:${endpoint.name}, udp ${endpoint.remote.split(' ').slice(0, 2).join(':')}, management ${endpoint.management}, logins approved in Slack; log ${supervisor.server!.logFile}`,
  };
}

function endpointWhere(config: Config): string {
  if (config.VPN_ENDPOINTS.length > 0)
    return config.VPN_ENDPOINTS.map((endpoint) =>
      endpoint.type === 'openvpn' ? `openvpn:${endpoint.name}` : endpoint.id,
    ).join(', ');
  return isLocalMode(config)
    ? `none running (profiles name ${localEndpointConfig(config).remote})`
    : 'none configured (VPN_ENDPOINTS)';
}

function botWhere(bot: RunningBot): string {
  return bot.mode === 'socket' ? 'your workspace, in Socket Mode' : `your workspace, over HTTP at ${bot.url}`;
}

function aboutLines(config: Config, db: Database, vpn: RunningVpn | undefined): Record<string, string> {
  return {
    'VPN endpoint': vpn ? vpn.where : endpointWhere(config),
    DynamoDB: db.where,
    'State dir': stateDir(config),
    Admins: config.ADMIN_SLACK_IDS.join(', '),
    'Approval timeout': `${config.APPROVAL_TIMEOUT_S} s`,
  };
}
