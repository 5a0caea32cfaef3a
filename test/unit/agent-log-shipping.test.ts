import type { GrowingLogFile, LogFilePosition, ShippedLog } from '../../src/ports';
import { BACKFILL_HOURS, newLogShippingState, shipLogs } from '../../src/services/agent/log-shipping';
import { MemoryShippedLog, RecordingLog, TestClock } from '../helpers/agent-runtime-fakes';

const HOUR = 3_600_000;
const NOW = new Date('2026-12-04T12:34:56Z');
const CURRENT = Math.floor(NOW.getTime() / HOUR) * HOUR;
const refusal = (at: number, n: number) =>
  `${new Date(at).toISOString().replace(/\.\d+Z$/, 'Z')} TLS Error: tls-crypt unwrapping failed from [AF_INET]192.0.2.${n}:1194`;

/** A log file in memory: `lines` grow, each read hands over those after the position; `fail` makes the next read fail. */
function file() {
  const reads: (LogFilePosition | undefined)[] = [];
  const source: GrowingLogFile & { lines: string[]; reads: typeof reads; fail?: Error } = {
    endpoint: 'openvpn:office',
    lines: [],
    reads,
    async readSince(after, line) {
      reads.push(after);
      const start = after?.offset ?? 0;
      source.lines.slice(start, source.fail ? start + 1 : undefined).forEach(line);
      if (source.fail) {
        const error = source.fail;
        source.fail = undefined;
        throw error;
      }
      return { position: { file: '1:2', offset: source.lines.length, mark: '' } };
    },
  };
  return source;
}

describe('log shipping: the server log hour by hour', () => {
  it('ships every hour of the last day at start, a quiet one too, then only the hours that may change', async () => {
    const clock = new TestClock(new Date(NOW));
    const shipped = new MemoryShippedLog();
    const log = file();
    log.lines.push(refusal(CURRENT - 3 * HOUR + 5000, 1), refusal(CURRENT + 1000, 2), 'no timestamp here');
    const state = newLogShippingState();
    await shipLogs({ shipped, clock, log: new RecordingLog() }, log, state);
    expect(shipped.shipped.map((entry) => entry.hour.getTime())).toEqual(
      Array.from({ length: BACKFILL_HOURS + 1 }, (_, i) => CURRENT - (BACKFILL_HOURS - i) * HOUR),
    );
    const byHour = new Map(shipped.shipped.map((entry) => [entry.hour.getTime(), entry.read]));
    expect(byHour.get(CURRENT - 3 * HOUR)).toMatchObject({
      events: 1,
      malformed: 0,
      attempts: [{ sourceIp: '192.0.2.1' }],
    });
    expect(byHour.get(CURRENT - 2 * HOUR)).toMatchObject({ events: 0, malformed: 0, attempts: [] });
    expect(byHour.get(CURRENT)).toMatchObject({ events: 2, malformed: 1, attempts: [{ sourceIp: '192.0.2.2' }] });

    shipped.shipped.length = 0;
    clock.advance(60_000);
    await shipLogs({ shipped, clock, log: new RecordingLog() }, log, state);
    expect(log.reads.at(-1)).toMatchObject({ offset: 3 });
    expect(shipped.shipped.map((entry) => entry.hour)).toEqual([new Date(CURRENT)]);
  });

  it('starts over with the last day when it comes back after more than a day without shipping', async () => {
    const clock = new TestClock(new Date(NOW));
    const shipped = new MemoryShippedLog();
    const log = file();
    log.lines.push(refusal(CURRENT + 1000, 1));
    const state = newLogShippingState();
    await shipLogs({ shipped, clock, log: new RecordingLog() }, log, state);

    shipped.shipped.length = 0;
    clock.advance(30 * HOUR);
    await shipLogs({ shipped, clock, log: new RecordingLog() }, log, state);
    expect(log.reads).toEqual([undefined, undefined]);
    expect(shipped.shipped).toHaveLength(BACKFILL_HOURS + 1);
  });

  it('ships an hour that failed to ship again next round', async () => {
    const clock = new TestClock(new Date(NOW));
    const log = file();
    log.lines.push(refusal(CURRENT - HOUR + 1000, 1));
    const memory = new MemoryShippedLog();
    let failures = 1;
    const shipped: ShippedLog = {
      read: () => memory.read(),
      async ship(endpoint, hour, read) {
        if (hour.getTime() === CURRENT - HOUR && failures-- > 0) throw new Error('ProvisionedThroughputExceeded');
        await memory.ship(endpoint, hour, read);
      },
    };
    const lines = new RecordingLog();
    const state = newLogShippingState();
    await shipLogs({ shipped, clock, log: lines }, log, state);
    expect(lines.at('error')).toEqual([expect.stringContaining('ProvisionedThroughputExceeded')]);
    expect(memory.shipped.at(-1)!.hour).toEqual(new Date(CURRENT - 2 * HOUR));

    clock.advance(60_000);
    await shipLogs({ shipped, clock, log: lines }, log, state);
    expect(memory.shipped.map((entry) => entry.hour.getTime()).slice(-2)).toEqual([CURRENT - HOUR, CURRENT]);
    expect(memory.shipped.at(-2)!.read).toMatchObject({ events: 1, attempts: [{ sourceIp: '192.0.2.1' }] });
  });

  it('reads the log from its start again after a read that failed part way, counting each line once', async () => {
    const clock = new TestClock(new Date(NOW));
    const shipped = new MemoryShippedLog();
    const log = file();
    log.lines.push(refusal(CURRENT + 1000, 1), refusal(CURRENT + 2000, 2), refusal(CURRENT + 3000, 3));
    log.fail = new Error('EIO: i/o error, read');
    const lines = new RecordingLog();
    const state = newLogShippingState();
    await shipLogs({ shipped, clock, log: lines }, log, state);
    expect(lines.at('error')).toEqual([expect.stringContaining('EIO')]);
    expect(shipped.shipped).toEqual([]);

    clock.advance(60_000);
    await shipLogs({ shipped, clock, log: lines }, log, state);
    expect(log.reads).toEqual([undefined, undefined]);
    expect(shipped.shipped.at(-1)).toMatchObject({ hour: new Date(CURRENT), read: { events: 3 } });
  });
});
