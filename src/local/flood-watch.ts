import { Rounds, repeatRounds } from '../domain/repeat';
import { messageOf } from '../domain/errors';
import { FLOOD_WATCH_EVERY_MS, type FloodWatchReport } from '../services/flood-watch';

/**
 * What the scheduler's 15-minute `floods` schedule does on AWS, for `npm start`: each endpoint's last hour of
 * connection log through the flood and "keeps failing" rules, told to the admins once per change. The first
 * round comes right after start. Problems are reported, never thrown: the next round tries again.
 */
export function scheduleFloodWatch(
  admin: { watchFloods(): Promise<FloodWatchReport> },
  report: (message: string) => void,
  options: { firstMs?: number; everyMs?: number } = {},
): Rounds {
  return repeatRounds(
    async () => {
      try {
        const result = await admin.watchFloods();
        for (const problem of result.problems) report(`flood watch: ${problem}`);
      } catch (error) {
        report(`flood watch failed: ${messageOf(error)}; the next round tries again in 15 minutes`);
      }
    },
    { firstMs: options.firstMs ?? 0, everyMs: options.everyMs ?? FLOOD_WATCH_EVERY_MS },
  );
}
