import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { WebClient } from '@slack/web-api';
import { approvalPolicy, decideDeps } from '../src/composition/connect-handler';
import { Database, connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { cnKey } from '../src/adapters/dynamodb/certificate-store';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { storesFor } from '../src/adapters/dynamodb/stores';
import { loadConfig } from '../src/config';
import type { ConnectRequest } from '../src/domain/approval';
import { encodeCn } from '../src/domain/cn';
import { eventCallbackRequest, functionUrlEvent } from '../src/local/slack-requests';
import { SlackStandIn, startSlackStandIn } from '../src/local/slack-standin/server';
import { createCa, loadCa } from '../src/pki/ca';
import { signCertificateFor } from '../src/pki/certificate';
import { DEFAULT_POLICY, DecideDeps, decideConnection } from '../src/services/decide-connection';
import { SlackApprovalNotifier } from '../src/slack/approval-notifier';
import { adminAlertsFor } from '../src/slack/admin-alert';
import { createSlackLambdaHandler } from '../src/composition/slack-lambda';
import { ms, report } from './lib';
import { meterDatabase, DdbMeter, ON_DEMAND_USD_PER_MILLION, ddbLocalCapacity, ddbLocalFloorMs } from './ddb-meter';
import { slackBudgetFor } from '../src/composition/slack-budget';
import { InProcessJobQueue } from '../src/slack/jobs/in-process-queue';
import { settlePrompt } from '../src/slack/jobs/settle-prompt';
import { nextPollMs } from '../src/domain/poll-schedule';

const SECRET = 'bench-secret';
const APPROVALS = 200;
const STORM = 300;
/** As many reads as warm-storm's capacity line makes, so the two floors rest on the same measurement. */
const CAPACITY_READS = 2_000;
/** The meter's phase for a login's own requests, from the VPN's call to the answer. */
const CRITICAL = 'login';
const memberId = (i: number) => `U0M${String(i).padStart(3, '0')}`;

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};

interface World {
  slack: SlackStandIn;
  deps: DecideDeps;
  /** As the connect function decides: its Slack client and budget, each call bounded by the login's deadline. */
  deployed: DecideDeps;
  bolt: (event: unknown, context: unknown) => Promise<unknown>;
  cns: string[];
  db: Database;
  meter: DdbMeter;
  /** The Slack function's own client (the 👍 handled), metered from its first request. */
  reactions: { meter?: DdbMeter };
  worker: InProcessJobQueue;
  failedJobs: { count: number };
  stop(): Promise<void>;
}

async function world(members: number, options: { enforceRateLimits: boolean }): Promise<World> {
  const users = Array.from({ length: members }, (_, i) => ({
    id: memberId(i),
    name: `m${i}`,
    real_name: `Member ${i}`,
  }));
  const [slack, dynamo] = await Promise.all([
    startSlackStandIn({ users, usergroups: {}, enforceRateLimits: options.enforceRateLimits }),
    startDynamoDbLocal(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'vpn-chatops-bench-approval-'));
  const config = loadConfig({
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_BOT_ID: 'BBOT',
    SLACK_BOT_USER_ID: 'UBOT',
    TABLE_NAME: `bench-${randomBytes(4).toString('hex')}`,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    STATE_DIR: dir,
    VPN_ENDPOINTS: '[]',
    AWS_REGION: 'us-east-1',
  });
  const db = connectDatabase({ tableName: config.TABLE_NAME, endpoint: dynamo.endpoint });
  await ensureTable(db);
  const meter = meterDatabase(db);
  const stores = storesFor(db);
  const ca = loadCa(await createCa({ commonName: 'Bench CA' }));
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cns: string[] = [];
  await stores.certificates.importMany(
    users.map((user) => {
      const cn = encodeCn({ displayName: user.real_name, slackId: user.id, domain: config.CERT_DOMAIN });
      const issued = signCertificateFor({ ca, cn, publicKey });
      cns.push(cn);
      return {
        serial: issued.serial,
        cn,
        slackId: user.id,
        status: 'active' as const,
        issuedAt: new Date(),
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        source: 'issued' as const,
        issuedBy: 'bench',
      };
    }),
  );
  const client = new WebClient(slack.token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 3, minTimeout: 100, maxTimeout: 1_000 },
  });
  const alerts = adminAlertsFor(config, client, () => undefined);
  const failedJobs = { count: 0 };
  // As deployed: the connect function, the bot and the worker share one Slack budget in the table.
  const budget = slackBudgetFor(config, db);
  const deps: DecideDeps = {
    ...stores,
    notifier: new SlackApprovalNotifier(client, alerts, undefined, { budget }),
    clock: { now: () => new Date() },
    policy: { ...approvalPolicy(config), rememberHours: 0 },
  };
  // The worker's part the bot hands prompts to; other jobs do not arise here.
  const prompts = new SlackApprovalNotifier(client, alerts, undefined, { budget });
  // As the worker does, a job that fails is logged (counted here), never thrown at whoever queued it.
  const worker = new InProcessJobQueue(async (job) => {
    if (job.type === 'settle-prompt')
      await settlePrompt({ approvals: stores.approvals, prompts, jobs: worker }, job).catch(
        () => void (failedJobs.count += 1),
      );
  });
  const reactions: World['reactions'] = {};
  const bolt = createSlackLambdaHandler(
    () => config,
    (_config, boltDb) => {
      reactions.meter = meterDatabase(boltDb);
      return worker;
    },
  ) as World['bolt'];
  return {
    slack,
    deps,
    deployed: { ...decideDeps(config, db), policy: deps.policy },
    bolt,
    cns,
    db,
    meter,
    reactions,
    worker,
    failedJobs,
    stop: async () => {
      db.doc.destroy();
      await Promise.all([slack.stop(), dynamo.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
      `Ev0B${++events}`,
    ),
    SECRET,
  );
}

const login = (cn: string, i: number): ConnectRequest => ({
  connectionId: `c${i}`,
  endpointId: 'cvpn-endpoint-0123456789abcdef0',
  commonName: cn,
  publicIp: `198.51.100.${i % 250}`,
  platform: 'mac',
  platformVersion: '14',
  clientVersion: '2.6.14',
});

/** The prompt for member `user` once it is posted. */
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

/** Ours: from the bot receiving the 👍 event to the connect decision returning allow. */
async function ours(w: World): Promise<{ latencies: number[]; callsPerLogin: number; pollsPerLogin: number }> {
  const latencies: number[] = [];
  const before = w.slack.calls.length;
  let polls = 0;
  const deps: DecideDeps = {
    ...w.deps,
    approvals: Object.assign(Object.create(w.deps.approvals) as typeof w.deps.approvals, {
      peek: (id: string) => (polls++, w.deps.approvals.peek(id)),
    }),
  };
  for (let batch = 0; batch < APPROVALS; batch += 20) {
    await Promise.all(
      Array.from({ length: 20 }, async (_, k) => {
        const i = batch + k;
        const user = memberId(i);
        const prompted = promptOf(w.slack, user);
        const decision = decideConnection(deps, login(w.cns[i], i));
        const { channel, ts } = await prompted;
        // A person reads the prompt before reacting, some quicker than others (the baseline's owners take
        // 0–2 s too); the clock starts when the bot receives the 👍.
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 2_000));
        const received = performance.now();
        // The bot's audit entry and DM update finish on their own; the VPN waits only for the decision.
        const handled = w.bolt(reaction(user, channel, ts), {});
        const result = await decision;
        latencies.push(performance.now() - received);
        await handled;
        if (!result.allow) throw new Error(`login ${i} was refused: ${result.reason}`);
      }),
    );
  }
  const calls = w.slack.calls
    .slice(before)
    .filter((c) => ['chat.postMessage', 'chat.update', 'conversations.open'].includes(c.method)).length;
  return { latencies, callsPerLogin: calls / APPROVALS, pollsPerLogin: polls / APPROVALS };
}

/** Seed 001's design: post the DM, then poll reactions.get every 2 s until the owner's 👍 shows up. */
async function baseline(w: World): Promise<{ latencies: number[]; callsPerLogin: number }> {
  const client = new WebClient(w.slack.token, { slackApiUrl: w.slack.apiUrl, retryConfig: { retries: 0 } });
  const before = w.slack.calls.length;
  const latencies = await Promise.all(
    Array.from({ length: APPROVALS }, async (_, i) => {
      const user = memberId(i);
      const posted = await client.chat.postMessage({ channel: user, text: 'Approve this VPN login with 👍' });
      // The owner reacts a random moment later; Slack stores it and emits reaction_added, which this design ignores.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2_000));
      const reacted = performance.now();
      await client.reactions.add({ channel: posted.channel!, timestamp: posted.ts!, name: '+1', user } as Parameters<
        typeof client.reactions.add
      >[0]);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const got = await client.reactions.get({ channel: posted.channel!, timestamp: posted.ts! });
        const reactions =
          (got.message as { reactions?: { name: string; users?: string[] }[] } | undefined)?.reactions ?? [];
        if (reactions.some((r) => r.name === '+1' && r.users?.includes(user))) return performance.now() - reacted;
      }
    }),
  );
  const calls = w.slack.calls
    .slice(before)
    .filter((c) => ['chat.postMessage', 'reactions.get'].includes(c.method)).length;
  return { latencies, callsPerLogin: calls / APPROVALS };
}

/** Where a storm's time goes: each phase of a login timed from its start, DynamoDB reads timed, the event loop's delay. */
interface Phases {
  created: number[];
  posted: number[];
  prompted: number[];
  reads: number[];
  reacted: number[];
}

/** `deps` with its approval store and notifier timed, the ones bounded by a login's deadline too. */
function timed(deps: DecideDeps, phases: Phases): DecideDeps {
  const since = new Map<string, number>();
  const wrap = ({ approvals, notifier }: Pick<DecideDeps, 'approvals' | 'notifier'>) => ({
    approvals: Object.assign(Object.create(approvals) as typeof approvals, {
      peek: async (id: string) => {
        const started = performance.now();
        try {
          return await approvals.peek(id);
        } finally {
          phases.reads.push(performance.now() - started);
        }
      },
      create: async (approval: Parameters<typeof approvals.create>[0]) => {
        const started = performance.now();
        since.set(approval.id, started);
        await approvals.create(approval);
        phases.created.push(performance.now() - started);
      },
    }),
    notifier: Object.assign(Object.create(notifier) as typeof notifier, {
      prompt: async (approval: Parameters<typeof notifier.prompt>[0]) => {
        const started = performance.now();
        const posted = await notifier.prompt(approval);
        phases.posted.push(performance.now() - started);
        phases.prompted.push(performance.now() - (since.get(approval.id) ?? 0));
        return posted;
      },
    }),
  });
  const within = deps.within;
  return {
    ...deps,
    ...wrap(deps),
    ...(within && {
      within: (deadline) => {
        const bounded = within(deadline);
        return { ...bounded, ...wrap(bounded) };
      },
    }),
  };
}

/** storm-300: everyone at once, Slack's limits enforced, each owner approving 0.2–1 s after the prompt. */
async function storm(): Promise<void> {
  const w = await world(STORM, { enforceRateLimits: true });
  const phases: Phases = { created: [], posted: [], prompted: [], reads: [], reacted: [] };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  try {
    const stop = w.slack.onChange((change) => {
      if (change.kind !== 'message_posted' || !change.channel.startsWith('D')) return;
      setTimeout(
        () => {
          const started = performance.now();
          void w
            .bolt(reaction(change.channel.slice(1), change.channel, change.ts), {})
            .finally(() => phases.reacted.push(performance.now() - started));
        },
        200 + Math.random() * 800,
      );
    });
    const deps = timed(w.deployed, phases);
    const durations: number[] = [];
    w.meter.reset();
    w.reactions.meter?.reset();
    const sent = () => w.meter.requests + (w.reactions.meter?.requests ?? 0);
    loop.enable();
    const decisions = await Promise.all(
      Array.from({ length: STORM }, async (_, i) => {
        const started = performance.now();
        const decision = await w.meter.during(CRITICAL, () => decideConnection(deps, login(w.cns[i], i)));
        durations.push(performance.now() - started);
        return decision;
      }),
    );
    loop.disable();
    stop();
    const critical429 = w.slack.rateLimited;
    const decided = performance.now();
    const untilAnswered = sent();
    // The prompts' final states drain through the worker at chat.update's limit; a job hands itself on after 4 minutes.
    await Promise.race([w.worker.idle(), new Promise((resolve) => setTimeout(resolve, 10 * 60_000))]);
    const settled = new Set(w.slack.callsTo('chat.update').map((call) => call.args.ts)).size;
    const drainS = ((performance.now() - decided) / 1000).toFixed(0);
    const figures = w.meter.figures(STORM);
    const byOperation = { ...w.meter.byOperation };
    const critical = w.meter.byPhase[CRITICAL] ?? 0;
    const after = sent() - critical;
    // Measured once the storm and the settling are over: DynamoDB Local is warm, as after warm-storm's first storm.
    const perSecond = await ddbLocalCapacity(w.db, w.cns.map(cnKey), CAPACITY_READS);
    report('storm-300', {
      approved: decisions.filter((d) => d.allow).length,
      denied: decisions.filter((d) => !d.allow).length,
      slack_429: critical429,
      p50_ms: ms(percentile(durations, 0.5)),
      p99_ms: ms(percentile(durations, 0.99)),
      ...figures,
      // The login's own requests, before its answer; then the 👍's handling and the prompts' settling.
      critical_requests_per: (critical / STORM).toFixed(2),
      after_requests_per: (after / STORM).toFixed(2),
      ddb_local_capacity_gets_per_s: perSecond.toFixed(0),
      // Every request DynamoDB Local served until the last answer, at its pace: the storm cannot end sooner here.
      ddb_local_floor_ms: ms(ddbLocalFloorMs(untilAnswered, perSecond)),
      prompts_settled: settled,
      settle_jobs_failed: w.failedJobs.count,
      settle_drain_s: drainS,
      slack_429_after_decision: w.slack.rateLimited - critical429,
    });
    report('storm-300-phases', {
      create_p50_ms: ms(percentile(phases.created, 0.5)),
      create_p99_ms: ms(percentile(phases.created, 0.99)),
      post_p50_ms: ms(percentile(phases.posted, 0.5)),
      post_p99_ms: ms(percentile(phases.posted, 0.99)),
      prompt_posted_p50_ms: ms(percentile(phases.prompted, 0.5)),
      prompt_posted_p99_ms: ms(percentile(phases.prompted, 0.99)),
      poll_read_p50_ms: ms(percentile(phases.reads, 0.5)),
      poll_read_p99_ms: ms(percentile(phases.reads, 0.99)),
      polls_per_login: (phases.reads.length / STORM).toFixed(1),
      ddb_by_operation: Object.entries(byOperation)
        .map(([operation, count]) => `${operation.replace(/Command$/, '')}:${count}`)
        .join(','),
      reaction_handled_p50_ms: ms(percentile(phases.reacted, 0.5)),
      reaction_handled_p99_ms: ms(percentile(phases.reacted, 0.99)),
      event_loop_delay_p99_ms: ms(loop.percentile(99) / 1e6),
      event_loop_delay_max_ms: ms(loop.max / 1e6),
    });
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await w.stop();
  }
}

/**
 * The reads one prompt costs while its owner takes `answerMs` to answer (undefined: nobody answers), walked on
 * a clock of our own: before, a strongly consistent read at once and every pollMs; now, eventually consistent
 * reads on the poll schedule and one strongly consistent read to confirm what a poll shows.
 */
function pollReads(answerMs: number | undefined, schedule: 'before' | 'after'): { reads: number; units: number } {
  const { pollMs, timeoutMs } = DEFAULT_POLICY;
  let reads = 0;
  let at = schedule === 'before' ? 0 : nextPollMs(0, pollMs);
  for (; at <= timeoutMs; at += schedule === 'before' ? pollMs : nextPollMs(at, pollMs)) {
    reads++;
    if (answerMs !== undefined && at >= answerMs) break;
  }
  const answered = answerMs !== undefined && answerMs <= timeoutMs;
  if (schedule === 'before') return { reads, units: reads };
  return { reads: reads + (answered ? 1 : 0), units: reads * 0.5 + (answered ? 1 : 0) };
}

/** approval-poll-cost: reads per prompted login and their price per 1,000 logins, before and after, at on-demand list price. */
function pollCost(measuredPolls: number): void {
  const usd = (units: number) => ((units * 1_000 * ON_DEMAND_USD_PER_MILLION.read) / 1e6).toFixed(5);
  const cases = { answered_5s: 5_000, unanswered: undefined };
  const figures: Record<string, string | number> = { price: `${ON_DEMAND_USD_PER_MILLION.read}usd_per_M_reads` };
  for (const [name, answerMs] of Object.entries(cases)) {
    const before = pollReads(answerMs, 'before');
    const after = pollReads(answerMs, 'after');
    Object.assign(figures, {
      [`${name}_reads_before`]: before.reads,
      [`${name}_reads_after`]: after.reads,
      [`${name}_usd_per_1000_logins_before`]: usd(before.units),
      [`${name}_usd_per_1000_logins_after`]: usd(after.units),
    });
  }
  figures.measured_polls_per_login = measuredPolls.toFixed(1);
  report('approval-poll-cost', figures);
}

export async function approvalBenchmarks(): Promise<void> {
  const w = await world(APPROVALS, { enforceRateLimits: false });
  try {
    const mine = await ours(w);
    const theirs = await baseline(w);
    const oursP50 = percentile(mine.latencies, 0.5);
    const baseP50 = percentile(theirs.latencies, 0.5);
    report('approval-latency', {
      ours_p50_ms: ms(oursP50),
      ours_p99_ms: ms(percentile(mine.latencies, 0.99)),
      baseline_p50_ms: ms(baseP50),
      baseline_p99_ms: ms(percentile(theirs.latencies, 0.99)),
      ratio_p50: (baseP50 / oursP50).toFixed(1),
    });
    report('slack-calls-per-login', { ours: mine.callsPerLogin.toFixed(2), baseline: theirs.callsPerLogin.toFixed(2) });
    pollCost(mine.pollsPerLogin);
  } finally {
    await w.stop();
  }
  await storm();
}
