import type { TlsReport, TlsSummary } from '../services/tls-troubleshooting';

/** Log contents reach the terminal: control characters (escape sequences) are shown, not obeyed. */
const safe = (text: string) => text.replace(/\p{Cc}/gu, '?');
const time = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const n = (value: number) => value.toLocaleString('en-US');
const orDash = (value: string) => (value === '' ? '-' : safe(value));

/** Columns padded to their widest cell, seed 003's `uniq -c` output made readable. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) =>
    `    ${row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd()}`;
  return [line(header), ...rows.map(line)];
}

function summaryText(summary: TlsSummary): string[] {
  const lines = [
    `✔ ${safe(summary.endpoint)}: ${n(summary.attempts)} attempts, ${n(summary.successful)} successful, ${n(summary.failed)} failed`,
  ];
  if (summary.groups.length > 0) {
    lines.push(
      ...table(
        ['attempts', 'client', 'tls', 'cipher', 'class', 'names', 'addresses', 'offered ciphers', 'last'],
        summary.groups.map((group) => [
          n(group.attempts),
          orDash(group.clientVersion),
          orDash(group.tlsVersion),
          orDash(group.cipher),
          group.failure,
          n(group.commonNames),
          n(group.sourceIps),
          group.offeredCiphers === undefined ? '-' : safe(group.offeredCiphers),
          time(group.lastAt),
        ]),
      ),
    );
    if (summary.distinctGroups > summary.groups.length)
      lines.push(`    …and ${n(summary.distinctGroups - summary.groups.length)} more groups`);
    for (const { failure, attempts, fix } of summary.byClass) lines.push(`  → ${failure} (${n(attempts)}): ${fix}`);
  }
  if (summary.negotiated.length > 0)
    lines.push(
      `    negotiated: ${summary.negotiated.map((c) => `${orDash(c.tlsVersion)} ${orDash(c.cipher)} ${n(c.attempts)}`).join(', ')}`,
    );
  lines.push(
    `    ${n(summary.input.events)} log entries read${summary.input.malformed ? `; ${n(summary.input.malformed)} malformed skipped` : ''}; ${n(summary.withTlsDetails)} attempts with TLS details`,
  );
  if (summary.input.truncated) lines.push(`  ⚠ ${safe(summary.input.truncated)}`);
  for (const note of summary.input.notes) lines.push(`    note: ${safe(note)}`);
  return lines;
}

/**
 * `vpnctl logs --tls`: failed attempts by client version × TLS version × cipher × class, with the likely fix per class.
 */
export function tlsReportText(report: TlsReport, metric: string[] = []): string {
  const { window } = report;
  const head = [`TLS negotiation failures, last ${window.hours} hours (${time(window.from)} – ${time(window.to)})`];
  if (window.requestedHours !== undefined)
    head.push(`(asked for ${n(window.requestedHours)} hours; one summary covers at most ${window.hours})`);
  // The metric's window before the log, as seed 003 reads them (`failureWindowsText`).
  head.push(...metric);
  if (report.endpoints.length === 0)
    return [...head, 'No VPN endpoints configured (VPN_ENDPOINTS), or none matches --endpoint.'].join('\n');
  const body = report.endpoints.flatMap((tls) =>
    tls.summary ? summaryText(tls.summary) : [`✖ ${safe(tls.endpoint)}: ${safe(tls.error ?? 'not read')}`],
  );
  return [...head, ...body].join('\n');
}
