import fs from 'node:fs';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShippedConnectionLog } from '../../src/adapters/agent/connection-log';
import { DynamoDbShippedLog } from '../../src/adapters/dynamodb/shipped-log';
import { OpenVpnConnectionLog } from '../../src/adapters/openvpn/connection-log';
import { connectionInsights } from '../../src/services/connection-insights';
import { BACKFILL_HOURS, newLogShippingState, shipLogs, SETTLE_MS } from '../../src/services/agent/log-shipping';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { MemoryShippedLog, RecordingLog, TestClock } from '../helpers/agent-runtime-fakes';
import { describeWith, tempDir } from '../helpers/tools';

const HOUR = 3_600_000;
const NOW = new Date('2026-12-04T12:34:56Z');
const CURRENT = Math.floor(NOW.getTime() / HOUR) * HOUR;

const two = (n: number) => String(n).padStart(2, '0');
/** OpenVPN's own `--log-append` timestamp: local time. */
const stamp = (at: number) => {
  const d = new Date(at);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
};

interface Line {
  at: number;
  text: string;
  attempt: boolean;
  malformed: boolean;
}

let peer = 0;
/** Every `step` from `from` to `to`: a refused handshake (one attempt), a server line, and now and then a line with no timestamp. */
function lines(from: number, to: number, step = 20 * 60_000): Line[] {
  const out: Line[] = [];
  for (let at = from; at < to; at += step) {
    peer++;
    out.push({
      at,
      text: `${stamp(at)} TLS Error: tls-crypt unwrapping failed from [AF_INET]198.51.${peer >> 8}.${peer & 255}:1194`,
      attempt: true,
      malformed: false,
    });
    out.push({
      at: at + 1000,
      text: `${stamp(at + 1000)} MANAGEMENT: Client disconnected`,
      attempt: false,
      malformed: false,
    });
    if (peer % 3 === 0)
      out.push({ at: at + 1000, text: '  a continuation without a timestamp', attempt: false, malformed: true });
  }
  return out;
}

const text = (of: Line[]) => of.map((line) => `${line.text}\n`).join('');

/** What one hour of `of` holds: every line (its own time, or the line before it for one without) and attempt. */
function expected(of: Line[], hour: number) {
  const inHour = of.filter((line) => line.at >= hour && line.at < hour + HOUR);
  return {
    events: inHour.length,
    malformed: inHour.filter((line) => line.malformed).length,
    attempts: inHour.filter((line) => line.attempt).length,
  };
}

/** The newest shipment of each hour. */
const lastShipped = (shipped: MemoryShippedLog) =>
  new Map(shipped.shipped.map((entry) => [entry.hour.getTime(), entry.read] as const));

describe('log shipping from a real log file', () => {
  const dir = tempDir('log-shipping');
  afterAll(() => dir.remove());
  afterEach(() => jest.restoreAllMocks());

  const setup = (name: string, content: Line[]) => {
    const logFile = join(dir.path, `${name}.log`);
    writeFileSync(logFile, text(content));
    const clock = new TestClock(new Date(NOW));
    const shipped = new MemoryShippedLog();
    const deps = { shipped, clock, log: new RecordingLog() };
    return { logFile, clock, shipped, deps, source: new OpenVpnConnectionLog({ name, logFile }) };
  };

  it('reads the file once per round: the first round all of it, the next only what was appended', async () => {
    const before = lines(NOW.getTime() - 30 * HOUR, NOW.getTime() - 60_000);
    const { logFile, clock, shipped, deps, source } = setup('appended', before);
    const reads = jest.spyOn(fs, 'createReadStream');
    const state = newLogShippingState();

    await shipLogs(deps, source, state);
    const size = fs.statSync(logFile).size;
    expect(reads.mock.calls.map(([, options]) => options)).toEqual([{ start: 0, end: size - 1 }]);
    expect(shipped.shipped).toHaveLength(BACKFILL_HOURS + 1);

    const added = lines(NOW.getTime() - 30_000, NOW.getTime() + 30_000);
    appendFileSync(logFile, text(added));
    clock.advance(60_000);
    reads.mockClear();
    shipped.shipped.length = 0;
    await shipLogs(deps, source, state);
    expect(reads.mock.calls.map(([, options]) => options)).toEqual([
      { start: size, end: fs.statSync(logFile).size - 1 },
    ]);
    // Only the hour that may still change is shipped again, with the lines of both rounds.
    expect(shipped.shipped.map((entry) => entry.hour)).toEqual([new Date(CURRENT)]);
    expect(shipped.shipped[0].read).toMatchObject({ events: expected([...before, ...added], CURRENT).events });
  });

  it('reads a rotated log from its start: truncated, truncated and grown again, or replaced', async () => {
    const before = lines(CURRENT, NOW.getTime() - 60_000);
    const { logFile, clock, shipped, deps, source } = setup('rotated', before);
    const state = newLogShippingState();
    await shipLogs(deps, source, state);
    let all = before;

    // copytruncate: the same file, emptied, then written again.
    const small = lines(NOW.getTime() - 50_000, NOW.getTime() - 40_000);
    writeFileSync(logFile, text(small));
    all = [...all, ...small];
    clock.advance(1000);
    await shipLogs(deps, source, state);
    expect(lastShipped(shipped).get(CURRENT)!.events).toBe(expected(all, CURRENT).events);

    // Truncated and grown past where the last read stopped before the agent looked again.
    const grown = lines(NOW.getTime() - 40_000, NOW.getTime() - 30_000, 100);
    writeFileSync(logFile, text(grown));
    expect(fs.statSync(logFile).size).toBeGreaterThan(state.position!.offset);
    all = [...all, ...grown];
    clock.advance(1000);
    await shipLogs(deps, source, state);
    expect(lastShipped(shipped).get(CURRENT)!.events).toBe(expected(all, CURRENT).events);

    // Moved away, and a new file created in its place.
    const fresh = lines(NOW.getTime() - 20_000, NOW.getTime() - 10_000);
    renameSync(logFile, `${logFile}.1`);
    writeFileSync(logFile, text(fresh));
    all = [...all, ...fresh];
    clock.advance(1000);
    await shipLogs(deps, source, state);
    const current = lastShipped(shipped).get(CURRENT)!;
    expect({ events: current.events, malformed: current.malformed, attempts: current.attempts!.length }).toEqual(
      expected(all, CURRENT),
    );
  });
});

describe('a growing log file read piece by piece', () => {
  const dir = tempDir('growing-log');
  afterAll(() => dir.remove());

  it('leaves a line the server has not finished writing for the next read', async () => {
    const logFile = join(dir.path, 'partial.log');
    writeFileSync(logFile, 'first line\nsecond li');
    const source = new OpenVpnConnectionLog({ name: 'partial', logFile });
    const read: string[] = [];
    const { position } = await source.readSince(undefined, (line) => read.push(line));
    expect(read).toEqual(['first line']);
    appendFileSync(logFile, 'ne\r\nthird line\n');
    await source.readSince(position, (line) => read.push(line));
    expect(read).toEqual(['first line', 'second line', 'third line']);
  });

  it('reads only the end of a stretch longer than its limit, and says so', async () => {
    const logFile = join(dir.path, 'long.log');
    writeFileSync(logFile, Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
    const read: string[] = [];
    const result = await new OpenVpnConnectionLog({ name: 'long', logFile, maxBytes: 100 }).readSince(
      undefined,
      (line) => read.push(line),
    );
    expect(read.at(-1)).toBe('line 99');
    expect(read.length).toBeLessThan(15);
    expect(result.skipped).toMatch(/^read only the last 1 KB of the 1 KB of .*long\.log not read before/);
  });
});

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'log shipping to DynamoDB Local', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  const dir = tempDir('log-shipping-ddb');
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    dir.remove();
    await db.drop();
  });

  it('stores each hour with exactly its own lines and attempts, and a day of /vpn logs counts every line once', async () => {
    const logFile = join(dir.path, 'office.log');
    const before = lines(NOW.getTime() - 30 * HOUR, NOW.getTime() - 60_000);
    writeFileSync(logFile, text(before));
    const clock = new TestClock(new Date(NOW));
    const store = new DynamoDbShippedLog(db);
    const deps = { shipped: store, clock, log: new RecordingLog() };
    const source = new OpenVpnConnectionLog({ name: 'office', logFile });
    const state = newLogShippingState();
    await shipLogs(deps, source, state);

    // Into the next hour and past its settling time: the hour that was current is final now.
    const added = lines(CURRENT + HOUR - 10 * 60_000, CURRENT + HOUR + SETTLE_MS, 60_000);
    appendFileSync(logFile, text(added));
    clock.at = new Date(CURRENT + HOUR + SETTLE_MS + 60_000);
    await shipLogs(deps, source, state);
    expect(deps.log.lines.filter((line) => line.level === 'error')).toEqual([]);

    const all = [...before, ...added];
    for (let hour = CURRENT - BACKFILL_HOURS * HOUR; hour <= CURRENT + HOUR; hour += HOUR) {
      const read = await store.read('openvpn:office', new Date(hour), new Date(hour + HOUR));
      expect({
        hour: new Date(hour),
        events: read.events,
        malformed: read.malformed,
        attempts: read.attempts.length,
      }).toEqual({
        hour: new Date(hour),
        ...expected(all, hour),
      });
    }

    const now = clock.now();
    const report = await connectionInsights([new ShippedConnectionLog({ name: 'office', shipped: store })], 24, now);
    const from = Math.floor((now.getTime() - 24 * HOUR) / HOUR) * HOUR;
    const inDay = all.filter((line) => line.at >= from && line.at < now.getTime());
    expect(report.endpoints[0].summary!.input).toMatchObject({
      events: inDay.length,
      malformed: inDay.filter((line) => line.malformed).length,
    });
    expect(report.endpoints[0].summary!.input.notes.join(' ')).not.toMatch(/shipped nothing/);
  });
});
