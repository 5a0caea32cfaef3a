import type { ConnectionLogRead, ConnectionLogSource } from '../../src/ports';
import { BACKFILL_HOURS, hoursDue, shipLogs } from '../../src/services/agent/log-shipping';
import { MemoryShippedLog, RecordingLog, TestClock } from '../helpers/agent-runtime-fakes';

const HOUR = 3_600_000;

/** A server log whose reads are recorded; `failAt` makes the read of that hour fail. */
function source(failAt?: number): ConnectionLogSource & { reads: [Date, Date][] } {
  const reads: [Date, Date][] = [];
  return {
    endpoint: 'openvpn:office',
    reads,
    async read(from, to): Promise<ConnectionLogRead> {
      reads.push([from, to]);
      if (from.getTime() === failAt) throw new Error('EACCES: openvpn.log');
      return {
        attempts: [],
        events: 3,
        malformed: 1,
        ignored: 0,
        unrecognisedFields: new Set(),
        truncated: 'read only the last 256 MB',
      };
    },
  };
}

describe('log shipping: the server log hour by hour', () => {
  const clock = new TestClock(new Date('2026-12-04T12:34:56Z'));
  const current = new Date('2026-12-04T12:00:00Z').getTime();

  it('backfills the last day at start, then re-ships from the last hour shipped', () => {
    const first = hoursDue(clock.now());
    expect(first).toHaveLength(BACKFILL_HOURS + 1);
    expect(first[0].getTime()).toBe(current - BACKFILL_HOURS * HOUR);
    expect(first.at(-1)!.getTime()).toBe(current);
    expect(hoursDue(clock.now(), new Date(current))).toEqual([new Date(current)]);
    expect(hoursDue(clock.now(), new Date(current - HOUR))).toEqual([new Date(current - HOUR), new Date(current)]);
    expect(hoursDue(clock.now(), new Date(current - 100 * HOUR))).toHaveLength(BACKFILL_HOURS + 1);
  });

  it('ships each hour with what the read saw, the current one up to now', async () => {
    const shipped = new MemoryShippedLog();
    const log = source();
    const last = await shipLogs({ shipped, clock, log: new RecordingLog() }, log, new Date(current - HOUR));
    expect(last).toEqual(new Date(current));
    expect(log.reads).toEqual([
      [new Date(current - HOUR), new Date(current)],
      [new Date(current), clock.now()],
    ]);
    expect(shipped.shipped[1]).toEqual({
      endpoint: 'openvpn:office',
      hour: new Date(current),
      read: { attempts: [], events: 3, malformed: 1, ignored: 0, truncated: 'read only the last 256 MB' },
    });
  });

  it('stops at an hour that fails and starts there next round', async () => {
    const shipped = new MemoryShippedLog();
    const lines = new RecordingLog();
    const last = await shipLogs({ shipped, clock, log: lines }, source(current - HOUR), new Date(current - 2 * HOUR));
    expect(last).toEqual(new Date(current - 2 * HOUR));
    expect(shipped.shipped.map((entry) => entry.hour)).toEqual([new Date(current - 2 * HOUR)]);
    expect(lines.at('error')).toEqual([expect.stringContaining('EACCES: openvpn.log')]);
  });
});
