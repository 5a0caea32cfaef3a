import type { EndpointFailureWindows } from '../../services/failure-windows';
import { section } from './blocks';
import { userText } from './markup';
import type { MessageView } from './types';

/** Spikes listed per endpoint; a longer run is counted, not listed. */
const MAX_SPIKES = 5;

const count = (n: number) => n.toLocaleString('en-US');
const minute = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

function endpointLine(windows: EndpointFailureWindows): string {
  const endpoint = userText(windows.endpoint, 100);
  if (!windows.search)
    return `⚠️ ${endpoint}: AuthenticationFailures not read: ${userText(windows.error ?? 'unknown error', 300)}`;
  const { spikes, total } = windows.search;
  if (spikes.length === 0) return `✅ ${endpoint}: ${count(total)} authentication failures, no spike`;
  const listed = spikes
    .slice(0, MAX_SPIKES)
    .map((spike) => `${minute(spike.from)}–${spike.to.toISOString().slice(11, 16)} UTC (${count(spike.failures)})`);
  const more = spikes.length > MAX_SPIKES ? ` and ${spikes.length - MAX_SPIKES} more` : '';
  return `📈 ${endpoint}: ${count(total)} authentication failures, spiking ${listed.join(', ')}${more}`;
}

/**
 * `/vpn logs` on AWS reads the metric first (seed 003): where AuthenticationFailures spiked in the window, above
 * the log summary. AWS logs no failed certificate handshake, so a spike with few failed log entries points at the
 * CRL or the CA rather than at a person. Nothing is added when no AWS endpoint's metric is read.
 */
export function withFailureWindows(view: MessageView, windows: readonly EndpointFailureWindows[]): MessageView {
  const lines = windows.map(endpointLine);
  if (lines.length === 0) return view;
  const text = [
    '*The metric first* (AWS logs no failed certificate handshake; `/vpn doctor` checks the CRL):',
    ...lines,
  ].join('\n');
  const [first, ...rest] = view.blocks;
  return { ...view, blocks: [first, section(text), ...rest] };
}
