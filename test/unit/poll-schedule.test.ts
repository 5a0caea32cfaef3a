import { ATTENTIVE_MS, FIRST_READ_MS, LATE_FACTOR, nextPollMs } from '../../src/domain/poll-schedule';
import { DEFAULT_POLICY } from '../../src/services/decide-connection';

/** The reads one unanswered prompt costs over a whole wait, walked on the schedule with a clock of our own. */
function readsUntil(deadlineMs: number, pollMs: number): number[] {
  const gaps: number[] = [];
  for (let at = 0; at < deadlineMs && gaps.length < 10_000;) {
    const gap = Math.min(nextPollMs(at, pollMs), deadlineMs - at);
    gaps.push(gap);
    at += gap;
  }
  return gaps;
}

describe('the approval poll schedule', () => {
  const { pollMs, timeoutMs } = DEFAULT_POLICY;

  it('first reads once the owner can have seen the prompt', () => {
    expect(nextPollMs(0, pollMs)).toBe(FIRST_READ_MS);
    expect(nextPollMs(100, pollMs)).toBe(FIRST_READ_MS - 100);
    // A clock that went backwards never stretches the first wait.
    expect(nextPollMs(-5_000, pollMs)).toBe(FIRST_READ_MS);
  });

  it('reads every pollMs while owners answer, and no more than LATE_FACTOR times that apart afterwards', () => {
    expect(nextPollMs(FIRST_READ_MS, pollMs)).toBe(pollMs);
    expect(nextPollMs(ATTENTIVE_MS - 1, pollMs)).toBe(pollMs);
    expect(nextPollMs(ATTENTIVE_MS, pollMs)).toBe(pollMs * LATE_FACTOR);
    expect(nextPollMs(60_000, pollMs)).toBe(pollMs * LATE_FACTOR);
  });

  it('is bounded over the whole wait: every gap positive, none longer than the late interval, fewer reads than today', () => {
    const gaps = readsUntil(timeoutMs, pollMs);
    expect(gaps.every((gap) => gap > 0 && gap <= Math.max(FIRST_READ_MS, pollMs * LATE_FACTOR))).toBe(true);
    expect(gaps.reduce((sum, gap) => sum + gap, 0)).toBe(timeoutMs);
    // Today's loop: a read every pollMs for the whole wait.
    expect(gaps.length).toBeLessThan(timeoutMs / pollMs);
  });
});
