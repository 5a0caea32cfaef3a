import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { DEFAULT_HOURS } from '../../domain/connection-log';
import { VpnChatopsError } from '../../domain/errors';
import { attemptsChartPng } from '../../render/attempts-chart';
import { connectionInsights } from '../../services/connection-insights';
import { failureWindows } from '../../services/failure-windows';
import { tlsTroubleshooting } from '../../services/tls-troubleshooting';
import { failureWindowsText } from '../render-failure-windows';
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
      if (options.tls && options.chart) throw usageError('--chart draws attempts per hour; it does not go with --tls.');
      const chosen = (endpoint: string) => options.endpoint === undefined || endpoint.includes(options.endpoint);
      // Reading logs and metrics needs neither the CA nor the database.
      const wired = wiring();
      const sources = wired.connectionLogs().filter((source) => chosen(source.endpoint));
      const metrics = wired.failureMetrics().filter((source) => chosen(source.endpoint));
      const now = new Date();
      const windowsRead = failureWindows(metrics, options.hours, now);
      if (options.tls) {
        const [report, windows] = await Promise.all([tlsTroubleshooting(sources, options.hours, now), windowsRead]);
        out(
          options.json
            ? JSON.stringify({ ...report, failureWindows: windows }, null, 2)
            : tlsReportText(report, failureWindowsText(windows)),
        );
        if (report.endpoints.some((tls) => tls.error) || windows.some((each) => each.error)) process.exitCode = 1;
        return;
      }
      const [report, windows] = await Promise.all([connectionInsights(sources, options.hours, now), windowsRead]);
      out(
        options.json
          ? JSON.stringify({ ...report, failureWindows: windows }, null, 2)
          : connectionInsightsText(report, failureWindowsText(windows)),
      );
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
      if (report.endpoints.some((insights) => insights.error) || windows.some((each) => each.error))
        process.exitCode = 1;
    });
}
