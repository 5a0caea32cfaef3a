import { SPIKE_RULES, findSpikes, type FailureCount } from '../../src/domain/failure-spikes';
import { HOUR_MS, MINUTE_MS } from '../../src/domain/time';

const FROM = new Date('2026-03-01T00:00:00Z');
const PERIOD = 5 * MINUTE_MS;
const DAY = { from: FROM, to: new Date(FROM.getTime() + 24 * HOUR_MS), periodMs: PERIOD };
const at = (minutes: number) => new Date(FROM.getTime() + minutes * MINUTE_MS);
/** A count every period of the day, from `level(minutes)`. */
const series = (level: (minutes: number) => number): FailureCount[] =>
  Array.from({ length: 288 }, (_, i) => ({ at: at(i * 5), count: level(i * 5) }));

describe('findSpikes', () => {
  it('finds none on a quiet endpoint, or one with a steady trickle of failures', () => {
    expect(findSpikes([], DAY)).toEqual({ baseline: 0, threshold: SPIKE_RULES.minFailures, total: 0, spikes: [] });
    const trickle = findSpikes(
      series((m) => 2 + (m % 15 === 0 ? 1 : 0)),
      DAY,
    );
    expect(trickle.spikes).toEqual([]);
    expect(trickle.baseline).toBe(2);
  });

  it("does not call a handful of failures a spike on a quiet endpoint (one person's broken profile)", () => {
    const result = findSpikes([{ at: at(600), count: SPIKE_RULES.minFailures - 1 }], DAY);
    expect(result.spikes).toEqual([]);
    expect(result.total).toBe(SPIKE_RULES.minFailures - 1);
  });

  it("finds seed 000's outage: every login failing from one moment on, as one window", () => {
    const result = findSpikes(
      series((m) => (m >= 20 * 60 ? 40 : 0)),
      DAY,
    );
    expect(result.spikes).toEqual([{ from: at(20 * 60), to: DAY.to, failures: 40 * 48, peak: 40 }]);
  });

  it('measures against the median, so a high baseline raises the bar and the spike does not', () => {
    const busy = series((m) => (m >= 600 && m < 630 ? 40 : 20 + (m % 10 === 0 ? 2 : 0)));
    const result = findSpikes(busy, DAY);
    expect(result.baseline).toBe(22);
    expect(result.threshold).toBe(32);
    expect(result.spikes).toEqual([{ from: at(600), to: at(630), failures: 240, peak: 40 }]);
    const bumps = findSpikes(
      series((m) => (m >= 600 && m < 630 ? 30 : 20 + (m % 10 === 0 ? 2 : 0))),
      DAY,
    );
    expect(bumps.spikes).toEqual([]);
  });

  it('merges bursts one quiet period apart, and keeps bursts further apart separate', () => {
    const counts = [
      { at: at(55), count: 15 },
      { at: at(70), count: 12 },
      { at: at(75), count: 1 },
      { at: at(80), count: 20 },
      { at: at(300), count: 11 },
    ];
    expect(findSpikes(counts, DAY).spikes).toEqual([
      { from: at(55), to: at(60), failures: 15, peak: 15 },
      { from: at(70), to: at(85), failures: 33, peak: 20 },
      { from: at(300), to: at(305), failures: 11, peak: 11 },
    ]);
    const merged = findSpikes(counts, DAY, { ...SPIKE_RULES, mergeGap: 2 }).spikes;
    expect(merged[0]).toEqual({ from: at(55), to: at(85), failures: 48, peak: 20 });
  });

  it('adds points in one period, ignores points outside the window, and ends the last spike at the window', () => {
    const window = { from: FROM, to: at(12), periodMs: PERIOD };
    const counts = [
      { at: at(-5), count: 100 },
      { at: at(10), count: 6 },
      { at: at(11), count: 6 },
      { at: at(12), count: 100 },
    ];
    expect(findSpikes(counts, window).spikes).toEqual([{ from: at(10), to: at(12), failures: 12, peak: 12 }]);
  });

  it('refuses a window that cannot be searched', () => {
    expect(() => findSpikes([], { ...DAY, periodMs: 0 })).toThrow(RangeError);
    expect(() => findSpikes([], { ...DAY, to: FROM })).toThrow(RangeError);
  });
});
