import { performance } from 'node:perf_hooks';

export interface Stats {
  p50: number;
  p99: number;
  runs: number;
}

/** Run `fn` `runs` times after `warmup` discarded runs; percentiles in milliseconds. */
export async function measure(fn: () => unknown, runs: number, warmup = 1): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  return { p50: at(0.5), p99: at(0.99), runs };
}

export const ms = (value: number) => value.toFixed(value < 10 ? 2 : 1);

/** One result line: `name: key=value …`. */
export function report(name: string, values: Record<string, string | number>): void {
  console.log(
    `${name}: ${Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
}

export const ratio = (baseline: number | undefined, ours: number) =>
  baseline === undefined ? 'n/a' : (baseline / ours).toFixed(1);
