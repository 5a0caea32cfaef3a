import type { Command } from 'commander';
import { dailyReport } from '../render';
import { Wiring, actor, out } from '../io';

export function addDailyCommand(program: Command, wiring: Wiring): void {
  program
    .command('daily')
    .description(
      'the daily job, for cron or a systemd timer outside AWS: retire renewed certificates, renew CRLs, sweep sessions; with SLACK_BOT_TOKEN also expiry reminders and the weekly digest (exit 1 when anything failed)',
    )
    .action(async () => {
      const cli = wiring();
      const result = await cli.withDailyAdmin((admin) => admin.daily(actor()));
      out(dailyReport(result, Boolean(cli.config.SLACK_BOT_TOKEN)));
      if (
        result.problems.length ||
        result.renewals.some((renewal) => renewal.action === 'failed') ||
        result.reminders?.failed.length
      )
        process.exitCode = 1;
    });
}
