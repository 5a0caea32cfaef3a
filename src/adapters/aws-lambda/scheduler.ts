import type { AgentWatchReport } from '../../services/agent-watch';
import type { ExpirySweepReport } from '../../services/expiry-sweep';
import type { FloodWatchReport } from '../../services/flood-watch';
import { type OffboardingPassReport, passProblems } from '../../services/offboarding-pass';
import type { VpnAdmin } from '../../services/vpn-admin';
import { Deadline } from '../../domain/deadline';
import { VpnChatopsError } from '../../domain/errors';
import { logError, startInvocationLog } from '../../log';
import { CRL_DAYS_LEFT, METRICS_NAMESPACE, emfLine } from './metrics';
import { perContainer } from '../../per-container';

/**
 * What an EventBridge Scheduler schedule asks for, as its input `{"task": …}`: the daily job, the
 * five-minute check that tells the admins when a `vpnctl agent` falls silent and when it is back, or the
 * five-minute expiry sweep (sessions of expired certificates ended, time-boxed access warned before it ends), or
 * the 15-minute flood watch (floods and names that keep failing, told to the admins once per change), or the
 * hourly offboarding reconcile (a daily pass through users.list, resumed where the last run stopped).
 */
export const SCHEDULED_TASKS = ['daily', 'agents', 'expiry', 'floods', 'offboarding'] as const;
export type ScheduledTask = (typeof SCHEDULED_TASKS)[number];

export function scheduledTask(event: unknown): ScheduledTask {
  const task = typeof event === 'object' && event !== null ? (event as { task?: unknown }).task : undefined;
  const known = SCHEDULED_TASKS.find((candidate) => candidate === task);
  if (known === undefined)
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `The scheduler was invoked with ${JSON.stringify(task ?? null)}; expected {"task": one of ${SCHEDULED_TASKS.join(', ')}}.`,
    );
  return known;
}

/**
 * The scheduler function: the daily job (retiring renewed certificates, CRL renewal, drift repair,
 * session sweep, alerts, expiry reminders and the weekly digest), then each
 * endpoint's CRL days left, read back from the endpoint after renewal, as a CloudWatch metric. An
 * unreadable or missing CRL counts as 0 days, so the alarm fires rather than going quiet.
 */
type DailyRun = Awaited<ReturnType<typeof runDaily>>;
type AgentsRun = { task: 'agents' } & AgentWatchReport;
type ExpiryRun = { task: 'expiry' } & ExpirySweepReport;
type FloodsRun = { task: 'floods' } & FloodWatchReport;
type OffboardingRun = { task: 'offboarding' } & ReconcileSummary;

/** Typed by the task asked for, so a caller that runs the daily job reads its report without narrowing. */
export interface SchedulerHandler {
  (event: { task: 'daily' }, context?: unknown): Promise<DailyRun>;
  (event: { task: 'agents' }, context?: unknown): Promise<AgentsRun>;
  (event: { task: 'expiry' }, context?: unknown): Promise<ExpiryRun>;
  (event: { task: 'floods' }, context?: unknown): Promise<FloodsRun>;
  (event: { task: 'offboarding' }, context?: unknown): Promise<OffboardingRun>;
  (event: unknown, context?: unknown): Promise<DailyRun | AgentsRun | ExpiryRun | FloodsRun | OffboardingRun>;
}

/**
 * The scheduler function: the daily job (retiring renewed certificates, CRL renewal, drift repair,
 * session sweep, alerts, expiry reminders and the weekly digest), then each
 * endpoint's CRL days left, read back from the endpoint after renewal, as a CloudWatch metric. An
 * unreadable or missing CRL counts as 0 days, so the alarm fires rather than going quiet. Every five
 * minutes, the agents' heartbeats (services/agent-watch.ts).
 */
export function schedulerHandler(
  build: () => Promise<VpnAdmin>,
  emit: (line: string) => void = (line) => console.log(line),
  log: (message: string) => void = logError,
): SchedulerHandler {
  const admin = perContainer(build);
  return (async (event: unknown, context?: unknown) => {
    startInvocationLog(context);
    const task = scheduledTask(event);
    const ready = await admin();
    if (task === 'agents') {
      const report = await ready.watchAgents();
      // An alert not told is told by the next round; what stopped it is on record here.
      for (const problem of report.problems) log(`agent check: ${problem}`);
      return { task, ...report };
    }
    if (task === 'expiry') {
      const report = await ready.sweepExpiry(`system:scheduler:${task}`);
      // What was left is taken up by the next round, 5 minutes later; what stopped it is on record here.
      for (const problem of report.problems) log(`expiry sweep: ${problem}`);
      return { task, ...report };
    }
    if (task === 'floods') {
      const report = await ready.watchFloods();
      // An unread log or an untold change is found again by the next round, 15 minutes later.
      for (const problem of report.problems) log(`flood watch: ${problem}`);
      return { task, ...report };
    }
    if (task === 'offboarding') {
      const report = await ready.reconcileOffboarding(reconcileDeadline(context));
      // A holder not reached is checked by the next run, which goes on from the saved page.
      for (const problem of report ? passProblems(report) : []) log(problem);
      return { task, ...summary(report) };
    }
    return runDaily(ready, emit, log, reconcileDeadline(context));
  }) as SchedulerHandler;
}

interface ReconcileSummary {
  checked: number;
  revoked: number;
  reported: number;
  failed: number;
  unchecked: number;
  calls: number;
  resumed: boolean;
  finished: boolean;
}

const summary = (report: OffboardingPassReport | undefined): ReconcileSummary => ({
  checked: report?.checked ?? 0,
  revoked: report?.revoked.length ?? 0,
  reported: report?.reported.length ?? 0,
  failed: report?.failed.length ?? 0,
  unchecked: report?.unchecked ?? 0,
  calls: report?.calls ?? 0,
  resumed: report?.resumed ?? false,
  finished: report?.finished ?? true,
});

/**
 * Left after the paced work (the reconcile's pages, the daily job's reminder DMs) to finish what is under way and
 * return: the reconcile saves where its pass stands, the daily job reads each endpoint's CRL back.
 */
const AFTER_RECONCILE_MS = 60_000;

/** The Lambda's own timeout, less what the rest of the run needs; none outside Lambda (vpnctl runs to the end). */
function reconcileDeadline(context: unknown): Deadline | undefined {
  const remainingMs = (
    context as { getRemainingTimeInMillis?: () => number } | undefined
  )?.getRemainingTimeInMillis?.();
  return remainingMs === undefined ? undefined : new Deadline(new Date(Date.now() + remainingMs - AFTER_RECONCILE_MS));
}

async function runDaily(
  ready: VpnAdmin,
  emit: (line: string) => void,
  log: (message: string) => void,
  deadline?: Deadline,
) {
  const task = 'daily' as const;
  const { renewals, sessions, retired, reminders, digest, problems } = await ready.daily(
    `system:scheduler:${task}`,
    deadline,
  );
  // Reminders and retirements never stop the CRL work; what went wrong with them is on record here.
  for (const problem of problems) log(`daily job: ${problem}`);
  for (const failure of reminders?.failed ?? [])
    log(`daily job: reminder for ${failure.serial} not sent (retried tomorrow)`);
  const statuses = await ready.crlStatuses();
  const function_ = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local';
  const at = ready.clock.now();
  const daysLeft = statuses.map((status) => ({ endpoint: status.endpoint, days: Math.max(0, status.daysLeft ?? 0) }));
  for (const { endpoint, days } of daysLeft)
    emit(emfLine(METRICS_NAMESPACE, { Function: function_, Endpoint: endpoint }, { [CRL_DAYS_LEFT]: days }, at));
  if (daysLeft.length)
    emit(
      emfLine(
        METRICS_NAMESPACE,
        { Function: function_ },
        { [CRL_DAYS_LEFT]: Math.min(...daysLeft.map((entry) => entry.days)) },
        at,
      ),
    );
  return {
    task,
    renewals: renewals.map(({ endpoint, action, daysLeft: before }) => ({ endpoint, action, daysLeft: before })),
    sessions,
    retired,
    reminders: reminders && { sent: reminders.sent.length, failed: reminders.failed.length },
    digest,
    problems,
    crlDaysLeft: daysLeft,
  };
}
