import { Rounds, repeatRounds } from '../domain/repeat';
import { messageOf } from '../domain/errors';
import { MINUTE_MS } from '../domain/time';
import type { ExpirySweepReport } from '../services/expiry-sweep';

/** As often as the scheduler function's schedule on AWS. */
export const EXPIRY_SWEEP_EVERY_MS = 5 * MINUTE_MS;

/**
 * What the scheduler's five-minute expiry schedule does on AWS, for `npm start`: the sessions of certificates
 * that ran out are ended, and time-boxed access is warned before it ends. The first run comes right after start,
 * for sessions that outlived their certificate while the bot was stopped. Problems are reported, never thrown:
 * the next round tries again.
 */
export function scheduleExpirySweep(
  admin: { sweepExpiry(actor: string): Promise<ExpirySweepReport> },
  report: (message: string) => void,
  options: { firstMs?: number; everyMs?: number } = {},
): Rounds {
  return repeatRounds(
    async () => {
      try {
        const result = await admin.sweepExpiry('system:npm-start');
        for (const problem of result.problems) report(`expiry sweep: ${problem}`);
      } catch (error) {
        report(`expiry sweep failed: ${messageOf(error)}; the next round tries again in 5 minutes`);
      }
    },
    { firstMs: options.firstMs ?? 0, everyMs: options.everyMs ?? EXPIRY_SWEEP_EVERY_MS },
  );
}
