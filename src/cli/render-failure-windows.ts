import type { EndpointFailureWindows } from '../services/failure-windows';

/** Spikes listed per endpoint; a longer run is counted, as in Slack's view (slack/views/failure-windows.ts). */
const MAX_SPIKES = 5;

/** Error text reaches the terminal: control characters (escape sequences) are shown, not obeyed. */
const safe = (text: string) => text.replace(/\p{Cc}/gu, '?');
const n = (value: number) => value.toLocaleString('en-US');
const minute = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

function endpointLine(windows: EndpointFailureWindows): string {
  const endpoint = safe(windows.endpoint);
  if (!windows.search)
    return `  ⚠ ${endpoint}: AuthenticationFailures not read: ${safe(windows.error ?? 'unknown error')}`;
  const { spikes, total } = windows.search;
  if (spikes.length === 0) return `  ✔ ${endpoint}: ${n(total)} authentication failures, no spike`;
  const listed = spikes
    .slice(0, MAX_SPIKES)
    .map((spike) => `${minute(spike.from)}–${spike.to.toISOString().slice(11, 16)} UTC (${n(spike.failures)})`);
  const more = spikes.length > MAX_SPIKES ? ` and ${spikes.length - MAX_SPIKES} more` : '';
  return `  ↑ ${endpoint}: ${n(total)} authentication failures, spiking ${listed.join(', ')}${more}`;
}

/**
 * `vpnctl logs` on AWS, as `/vpn logs`: the metric first (seed 003), where AuthenticationFailures spiked in the
 * window. AWS logs no failed certificate handshake, so a spike with few failed log entries points at the CRL or the
 * CA rather than at a person. No lines when no AWS endpoint's metric was read.
 */
export function failureWindowsText(windows: readonly EndpointFailureWindows[]): string[] {
  if (windows.length === 0) return [];
  return [
    'The metric first (AWS logs no failed certificate handshake; `vpnctl doctor` checks the CRL):',
    ...windows.map(endpointLine),
  ];
}
