/** One period's failure count, as a metric reports it: periods with no data point had no failures. */
export interface FailureCount {
  /** The start of the period. */
  at: Date;
  count: number;
}

/** A run of periods whose failures stand out from the rest of the window: where to read the logs. */
export interface FailureSpike {
  from: Date;
  to: Date;
  failures: number;
  /** The largest count of one period in the run. */
  peak: number;
}

export interface SpikeSearch {
  /** The periods' median count: what is normal for this endpoint in this window. */
  baseline: number;
  /** A period counts as spiking at or above this many failures. */
  threshold: number;
  total: number;
  spikes: FailureSpike[];
}

/**
 * What makes a spike. A robust baseline (median and median absolute deviation, MAD), so the spike itself does
 * not raise the bar the way a mean and standard deviation would: a period spikes when its failures reach
 * `median + k × MAD` and at least `minFailures`. `minFailures` keeps a quiet endpoint (median 0, MAD 0) from
 * calling one mistyped profile a spike, and is the same figure the alarm fires on (infra/alarms.ts); seed 000's
 * outage was every login failing, hundreds an hour. Runs of spiking periods closer than `mergeGap` periods
 * are one spike: a client retrying through a broken hour dips between bursts.
 */
export const SPIKE_RULES = { k: 5, minFailures: 10, mergeGap: 1 } as const;

export type SpikeRules = { k: number; minFailures: number; mergeGap: number };

function median(sorted: number[]): number {
  if (sorted.length === 0) return 0;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const ascending = (a: number, b: number) => a - b;

/**
 * The spikes in [from, to), one count per `periodMs`. Counts outside the window are ignored, missing periods
 * are zeros (CloudWatch returns no point for a period without data), and counts falling in one period add up.
 */
export function findSpikes(
  counts: readonly FailureCount[],
  window: { from: Date; to: Date; periodMs: number },
  rules: SpikeRules = SPIKE_RULES,
): SpikeSearch {
  const { periodMs } = window;
  const start = window.from.getTime();
  if (!(periodMs > 0) || !(window.to.getTime() > start))
    throw new RangeError('a spike search needs a positive period and a window that ends after it starts');
  const periods = new Array<number>(Math.ceil((window.to.getTime() - start) / periodMs)).fill(0);
  for (const { at, count } of counts) {
    if (at.getTime() < start || at.getTime() >= window.to.getTime() || !(count > 0)) continue;
    periods[Math.floor((at.getTime() - start) / periodMs)] += count;
  }
  const sorted = [...periods].sort(ascending);
  const baseline = median(sorted);
  const mad = median(periods.map((count) => Math.abs(count - baseline)).sort(ascending));
  const threshold = Math.max(rules.minFailures, baseline + rules.k * mad);

  const spikes: FailureSpike[] = [];
  let last = -Infinity;
  for (const [index, count] of periods.entries()) {
    if (count < threshold) continue;
    const open = spikes.at(-1);
    const end = new Date(Math.min(start + (index + 1) * periodMs, window.to.getTime()));
    if (open && index - last <= rules.mergeGap + 1) {
      open.to = end;
      open.peak = Math.max(open.peak, count);
      open.failures += periods.slice(last + 1, index + 1).reduce((sum, value) => sum + value, 0);
    } else {
      spikes.push({ from: new Date(start + index * periodMs), to: end, failures: count, peak: count });
    }
    last = index;
  }
  return { baseline, threshold, total: periods.reduce((sum, value) => sum + value, 0), spikes };
}
