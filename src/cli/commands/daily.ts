import type { Command } from 'commander';
import { dailyReport } from '../render';
import { Wiring, actor, out } from '../io';
import { messageOf } from '../../domain/errors';
import { passProblems } from '../../services/offboarding-pass';

export function addDailyCommand(program: Command, wiring: Wiring): void {
  program
    .command('daily')
    .description(
      'the daily job, for cron or a systemd timer outside AWS: retire renewed certificates, renew CRLs, sweep sessions; with SLACK_BOT_TOKEN also expiry reminders, the weekly digest and the offboarding reconcile (exit 1 when anything failed)',
    )
    .action(async () => {
      const cli = wiring();
      const result = await cli.withDailyAdmin(async (admin) => {
        const daily = await admin.daily(actor());
        const offboarding = await admin.reconcileOffboarding().catch((error: unknown) => {
          daily.problems.push(`offboarding reconcile: ${messageOf(error)}`);
          return undefined;
        });
        return {
          ...daily,
          offboarding,
          problems: [...daily.problems, ...(offboarding ? passProblems(offboarding) : [])],
        };
      });
      out(dailyReport(result, Boolean(cli.config.SLACK_BOT_TOKEN)));
      if (
        result.problems.length ||
        result.renewals.some((renewal) => renewal.action === 'failed') ||
        result.reminders?.failed.length
      )
        process.exitCode = 1;
    });
}
