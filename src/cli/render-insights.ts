import { sparkline } from '../render/attempts-chart';
import type { ConnectionSummary, InsightsReport, Ranking } from '../services/connection-insights';

/** Log contents reach the terminal: control characters (escape sequences) are shown, not obeyed. */
const safe = (text: string) => text.replace(/\p{Cc}/gu, '?');
const time = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const n = (value: number) => value.toLocaleString('en-US');

function ranking(label: string, tallies: Ranking, missing: string): string {
  const shown = tallies.top.map(
    (t) =>
      `${t.key === '' ? missing : safe(t.key)} ${n(t.attempts)}${t.failed && t.failed !== t.attempts ? ` (${n(t.failed)} failed)` : ''}`,
  );
  const more = tallies.distinct > tallies.top.length ? `, …${n(tallies.distinct - tallies.top.length)} more` : '';
  return `    ${label}: ${shown.join(', ') || 'none'}${more}`;
}

function summaryText(summary: ConnectionSummary): string[] {
  const { input } = summary;
  const lines = [
    `✔ ${safe(summary.endpoint)}: ${n(summary.attempts)} attempts, ${n(summary.successful)} successful, ${n(summary.failed)} failed`,
  ];
  if (summary.attempts > 0) lines.push(`    per hour: ${sparkline(summary.hourly)}`);
  for (const flood of summary.floods) {
    lines.push(
      `  ⚠ possible flood from ${safe(flood.ip)}: ${n(flood.failed)} failed, peak ${n(flood.peakPerHour)} in the hour from ${time(flood.peakHourStart)}, ${n(flood.commonNames)} certificate names`,
    );
  }
  for (const repeat of summary.repeatFailures) {
    const state = repeat.stillFailing ? 'still failing' : `then ${n(repeat.successful)} successful`;
    lines.push(
      `  ⚠ keeps failing: ${safe(repeat.commonName)} ${n(repeat.failed)} failed${repeat.topReason ? ` (mostly ${safe(repeat.topReason)})` : ''}, last ${time(repeat.lastAt)}, ${state}`,
    );
  }
  if (summary.attempts > 0) {
    lines.push(
      ranking('failure reasons', summary.byReason, '(none logged)'),
      ranking('certificate names', summary.byCommonName, '(none)'),
      ranking('client addresses', summary.byIp, '(none)'),
      ranking('client versions', summary.byClientVersion, '(not logged)'),
    );
  }
  const skipped = [
    `${n(input.events)} log entries read`,
    input.malformed ? `${n(input.malformed)} malformed skipped` : undefined,
    input.duplicates ? `${n(input.duplicates)} repeated entries counted once` : undefined,
    input.unrecognisedFields.length
      ? `undocumented fields: ${input.unrecognisedFields.map(safe).join(', ')}`
      : undefined,
  ].filter(Boolean);
  lines.push(`    ${skipped.join('; ')}`);
  if (input.truncated) lines.push(`  ⚠ ${safe(input.truncated)}`);
  for (const note of input.notes) lines.push(`    note: ${safe(note)}`);
  return lines;
}

/** `vpnctl logs`: the same facts as `/vpn logs`, for a terminal. */
export function connectionInsightsText(report: InsightsReport, metric: string[] = []): string {
  const { window } = report;
  const head = [`Connection attempts, last ${window.hours} hours (${time(window.from)} – ${time(window.to)})`];
  if (window.requestedHours !== undefined)
    head.push(`(asked for ${n(window.requestedHours)} hours; one summary covers at most ${window.hours})`);
  // The metric's window before the log, as seed 003 reads them (`failureWindowsText`).
  head.push(...metric);
  if (report.endpoints.length === 0)
    return [...head, 'No VPN endpoints configured (VPN_ENDPOINTS), or none matches --endpoint.'].join('\n');
  const body = report.endpoints.flatMap((insights) =>
    insights.summary
      ? summaryText(insights.summary)
      : [`✖ ${safe(insights.endpoint)}: ${safe(insights.error ?? 'not read')}`],
  );
  return [...head, ...body].join('\n');
}
