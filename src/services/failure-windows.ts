import { VpnChatopsError, messageOf } from '../domain/errors';
import { MAX_HOURS } from '../domain/connection-log';
import { SpikeSearch, findSpikes } from '../domain/failure-spikes';
import { HOUR_MS, MINUTE_MS } from '../domain/time';
import type { FailureMetricsSource } from '../ports';

/** Client VPN publishes its metrics every 5 minutes: a finer period has nothing more to say. */
export const METRIC_PERIOD_MS = 5 * MINUTE_MS;

export interface EndpointFailureWindows {
  endpoint: string;
  from: Date;
  to: Date;
  /** The spikes in the window: where to read the connection log. */
  search?: SpikeSearch;
  /** Why the metric could not be read; the other endpoints are still searched. */
  error?: string;
  /** When that was a missing grant: the IAM action, so doctor can name it. */
  permission?: string;
}

/**
 * The last `hours` (at most MAX_HOURS) of each endpoint's AuthenticationFailures, and the windows where they
 * spike: seed 003's method, the metric first, then the logs for that window only.
 */
export async function failureWindows(
  sources: readonly FailureMetricsSource[],
  hours: number,
  now: Date,
): Promise<EndpointFailureWindows[]> {
  if (!Number.isInteger(hours) || hours < 1)
    throw new RangeError(`hours must be a whole number of at least 1, not ${hours}`);
  // Whole periods, ending at the last period that has begun, so the buckets match CloudWatch's.
  const to = new Date(Math.ceil(now.getTime() / METRIC_PERIOD_MS) * METRIC_PERIOD_MS);
  const from = new Date(to.getTime() - Math.min(hours, MAX_HOURS) * HOUR_MS);
  return Promise.all(
    sources.map(async (source): Promise<EndpointFailureWindows> => {
      try {
        const counts = await source.authenticationFailures(from, to, METRIC_PERIOD_MS);
        return {
          endpoint: source.endpoint,
          from,
          to,
          search: findSpikes(counts, { from, to, periodMs: METRIC_PERIOD_MS }),
        };
      } catch (error) {
        const reason =
          error instanceof VpnChatopsError
            ? error.message
            : `${source.endpoint}: AuthenticationFailures could not be read (${messageOf(error)}).`;
        const permission = error instanceof VpnChatopsError ? error.permission : undefined;
        return { endpoint: source.endpoint, from, to, error: reason, ...(permission && { permission }) };
      }
    }),
  );
}
