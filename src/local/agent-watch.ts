import { messageOf } from '../domain/errors';
import { AGENT_SILENT_AFTER_MS, AgentWatchReport } from '../services/agent-watch';
import { Rounds, repeatRounds } from '../domain/repeat';

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
): Rounds {
  const everyMs = options.everyMs ?? AGENT_SILENT_AFTER_MS;
  return repeatRounds(
    async () => {
      try {
        const result = await admin.watchAgents();
        for (const problem of result.problems) report(`agent check: ${problem}`);
      } catch (error) {
        report(`agent check failed: ${messageOf(error)}; the next round tries again`);
      }
    },
    { firstMs: everyMs, everyMs },
  );
}
