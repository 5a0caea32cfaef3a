import { messageOf } from '../domain/errors';
import { AGENT_SILENT_AFTER_MS, AgentWatchReport } from '../services/agent-watch';
import type { DailySchedule } from './daily';

/**
 * What the scheduler function's five-minute schedule does on AWS, for `npm start`: the agents'
 * heartbeats checked every 5 minutes. The first check waits a full period: right after a restart
 * the agent this process runs has not beaten yet, and an alert then would be followed by "back"
 * a minute later. Problems are reported, never thrown: the next round tries again.
 */
export function scheduleAgentWatch(
  admin: { watchAgents(): Promise<AgentWatchReport> },
  report: (message: string) => void,
  options: { everyMs?: number } = {},
): DailySchedule {
  const everyMs = options.everyMs ?? AGENT_SILENT_AFTER_MS;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  const run = async () => {
    try {
      const result = await admin.watchAgents();
      for (const problem of result.problems) report(`agent check: ${problem}`);
    } catch (error) {
      report(`agent check failed: ${messageOf(error)}; the next round tries again`);
    }
    if (!stopped) timer = setTimeout(start, everyMs).unref();
  };
  const start = () => {
    running = run().finally(() => (running = undefined));
  };
  timer = setTimeout(start, everyMs).unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
