import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { DEFAULT_HOURS } from '../../domain/connection-log';
import { VpnChatopsError } from '../../domain/errors';
import { attemptsChartPng } from '../../render/attempts-chart';
import { connectionInsights } from '../../services/connection-insights';
import { tlsTroubleshooting } from '../../services/tls-troubleshooting';
import { connectionInsightsText } from '../render-insights';
import { tlsReportText } from '../render-tls';
import { Wiring, out, usageError } from '../io';

function wholeHours(text: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1)
    throw usageError(`--hours "${text}" is not a whole number of hours from 1 to 168.`);
  return Number(text);
}

export function addLogsCommand(program: Command, wiring: Wiring): void {
  program
    .command('logs')
    .description(
      'connection attempts per endpoint from its connection log: by status, reason, name, address, client version; floods; who keeps failing',
    )
    .option('--hours <n>', `the last n hours, 1 to 168 (default ${DEFAULT_HOURS})`, wholeHours, DEFAULT_HOURS)
    .option('--endpoint <name>', 'only endpoints whose key contains this, e.g. local or cvpn-endpoint-0123')
    .option('--json', 'machine-readable output')
    .option('--chart <file.png>', 'also write a chart of attempts per hour (first endpoint with attempts)')
    .option(
      '--tls',
      'TLS troubleshooting: failures by client version × TLS version × cipher × class, with the likely fix',
    )
    .action(async (options: { hours: number; endpoint?: string; json?: boolean; chart?: string; tls?: boolean }) => {
      // Reading logs needs neither the CA nor the database.
      const sources = wiring()
        .connectionLogs()
        .filter((source) => options.endpoint === undefined || source.endpoint.includes(options.endpoint));
      if (options.tls) {
        if (options.chart) throw usageError('--chart draws attempts per hour; it does not go with --tls.');
        const report = await tlsTroubleshooting(sources, options.hours, new Date());
        out(options.json ? JSON.stringify(report, null, 2) : tlsReportText(report));
        if (report.endpoints.some((tls) => tls.error)) process.exitCode = 1;
        return;
      }
      const report = await connectionInsights(sources, options.hours, new Date());
      out(options.json ? JSON.stringify(report, null, 2) : connectionInsightsText(report));
      const charted = report.endpoints.find((insights) => insights.summary && insights.summary.attempts > 0)?.summary;
      if (options.chart && charted) {
        await writeFile(options.chart, attemptsChartPng(charted.hourly), { flag: 'wx' }).catch(
          (error: NodeJS.ErrnoException) => {
            throw new VpnChatopsError(
              'STATE',
              `Cannot write ${options.chart} (${error.code}): choose another --chart; an existing file is never overwritten.`,
            );
          },
        );
        out(`✔ chart of ${charted.endpoint} written to ${options.chart}`);
      }
      if (report.endpoints.some((insights) => insights.error)) process.exitCode = 1;
    });
}
