import type { Clock, FailureMetricsSource } from '../ports';
import { VpnChatopsError } from '../domain/errors';
import { HOUR_MS } from '../domain/time';
import { Check, failure } from './doctor-check';
import { failureWindows } from './failure-windows';

const HOURS = 24;

const hhmm = (date: Date) => date.toISOString().slice(11, 16);
const dayAndTime = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

/**
 * The last 24 h of each AWS endpoint's AuthenticationFailures: AWS logs no failed certificate handshake, so
 * this is the only place seed 000's outage shows before someone complains. A spike is ⚠️ with its window and
 * the way to read the logs for it.
 */
export async function failureMetricChecks(deps: {
  failureMetrics: readonly FailureMetricsSource[];
  clock: Clock;
}): Promise<Check[]> {
  const results = await failureWindows(deps.failureMetrics, HOURS, deps.clock.now());
  return results.map(({ endpoint, search, error, permission }): Check => {
    const name = `${endpoint}: authentication failures`;
    if (!search)
      return failure(
        name,
        new VpnChatopsError('ENDPOINT', error ?? 'the metric could not be read', { permission }),
        "Check that the bot may call cloudwatch:GetMetricData in the endpoint's Region, and the endpoint id in VPN_ENDPOINTS.",
      );
    const total = `${search.total.toLocaleString('en-US')} in the last ${HOURS} h`;
    if (search.spikes.length === 0)
      return { name, status: 'pass', detail: `${total}, no spike (baseline ${search.baseline} per 5 minutes)` };
    const windows = search.spikes
      .map(
        (spike) =>
          `${dayAndTime(spike.from)}–${hhmm(spike.to)} UTC (${spike.failures.toLocaleString('en-US')}, peak ${spike.peak} per 5 minutes)`,
      )
      .join(', ');
    // Enough hours back to cover the first spike: /vpn logs reads whole hours up to now.
    const hoursBack = Math.max(1, Math.ceil((deps.clock.now().getTime() - search.spikes[0].from.getTime()) / HOUR_MS));
    return {
      name,
      status: 'warn',
      detail: `${total}, spiking ${windows}: an expired CRL, a wrong CA or revoked clients retrying look like this`,
      fix: `Run \`/vpn logs ${hoursBack}\` (or \`vpnctl logs --hours ${hoursBack}\`) for who failed in that window, and see the CRL lines above: an expired or stale CRL refuses everyone.`,
    };
  });
}
