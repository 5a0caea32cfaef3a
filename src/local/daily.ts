import { messageOf } from '../domain/errors';
import { Rounds, repeatRounds } from '../domain/repeat';
import { DAY_MS } from '../domain/time';
import type { DailyReport } from '../services/daily';

/**
 * The daily job for a bot that is not on AWS (npm start, self-hosted OpenVPN): right after start, then
 * every 24 hours while it runs. Without it nobody renews the CRL, which is seed 000's outage. Problems
 * are reported, never thrown: the next run tries again.
 */
export function scheduleDaily(
  admin: { daily(actor: string): Promise<DailyReport> },
  report: (message: string) => void,
  options: { firstMs?: number; everyMs?: number } = {},
): Rounds {
  return repeatRounds(
    async () => {
      try {
        const result = await admin.daily('system:npm-start');
        for (const problem of result.problems) report(`daily job: ${problem}`);
        for (const renewal of result.renewals.filter((entry) => entry.action === 'failed'))
          report(
            `daily job: CRL renewal on ${renewal.endpoint} failed; it is retried in 24 hours, or run \`vpnctl crl publish\``,
          );
      } catch (error) {
        report(`daily job failed: ${messageOf(error)}; it runs again in 24 hours, or run \`vpnctl daily\``);
      }
    },
    { firstMs: options.firstMs ?? 0, everyMs: options.everyMs ?? DAY_MS },
  );
}
