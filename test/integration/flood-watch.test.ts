import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbFloodStateStore } from '../../src/adapters/dynamodb/flood-state-store';
import { OpenVpnConnectionLog } from '../../src/adapters/openvpn/connection-log';
import { HOUR_MS, MINUTE_MS } from '../../src/domain/time';
import type { FloodAlert } from '../../src/ports';
import { FloodWatchDeps, watchFloods } from '../../src/services/flood-watch';
import { floodAlertMessage } from '../../src/slack/views/flood-alert';
import { assertWithinSlackLimits } from '../../src/slack/views/limits';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith, tempDir } from '../helpers/tools';

const T = Date.parse('2026-12-05T01:00:00Z');
const stamp = (at: number) => new Date(at).toISOString().replace('.000Z', 'Z');

/** Seed 002 before the fix: each handshake starts TLS and times out a minute later. */
const handshakeTimeouts = (ip: string, count: number, start: number) =>
  Array.from({ length: count }, (_, i) => {
    const at = start + i * 30_000;
    const peer = `${ip}:${20_000 + i}`;
    return [
      `${stamp(at)} ${peer} TLS: Initial packet from [AF_INET]${peer}, sid=6a22eb44 5adb63fe`,
      `${stamp(at + 60_000)} ${peer} TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)`,
    ].join('\n');
  });

/** Seed 002 after the fix: each packet is dropped before TLS. */
const tlsCryptRefusals = (ip: string, count: number, start: number, everyMs = 20_000) =>
  Array.from(
    { length: count },
    (_, i) => `${stamp(start + i * everyMs)} TLS Error: tls-crypt unwrapping failed from [AF_INET]${ip}:${40_000 + i}`,
  );

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the 15-minute flood watch, on DynamoDB Local and a server log',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    const dir = tempDir('flood-watch');
    const logFile = join(dir.path, 'openvpn.log');
    const append = (lines: string[]) => appendFileSync(logFile, `${lines.join('\n')}\n`);
    let now = T;
    const told: FloodAlert[] = [];
    let deps: FloodWatchDeps;

    beforeAll(async () => {
      db = await testDatabase();
      deps = {
        sources: [new OpenVpnConnectionLog({ name: 'office', logFile })],
        state: new DynamoDbFloodStateStore(db),
        alerts: { flood: async (alert) => void told.push(alert) },
        clock: { now: () => new Date(now) },
      };
    });
    afterAll(async () => {
      await db?.drop();
      dir.remove();
    });

    it('alerts once when a flood starts, with the sources, the rate and seed 002’s advice', async () => {
      append([
        ...handshakeTimeouts('198.51.100.9', 40, T - 45 * MINUTE_MS),
        ...tlsCryptRefusals('203.0.113.7', 60, T - 30 * MINUTE_MS),
      ]);
      const report = await watchFloods(deps);
      expect(report).toEqual({
        watched: ['openvpn:office'],
        unwatched: [],
        alerted: [{ endpoint: 'openvpn:office', kind: 'started' }],
        problems: [],
      });
      expect(told).toHaveLength(1);
      expect(told[0]).toMatchObject({
        kind: 'started',
        selfHosted: true,
        ratePerHour: 100,
        sources: expect.arrayContaining([
          { ip: '203.0.113.7', failedPerHour: 60, droppedBeforeTls: true },
          { ip: '198.51.100.9', failedPerHour: 40, droppedBeforeTls: false },
        ]),
      });
      const view = floodAlertMessage(told[0]);
      assertWithinSlackLimits('message', view);
      expect(view.text).toBe(
        ':rotating_light: `openvpn:office`: 2 addresses flooding with 100 failed handshakes an hour in the last hour.',
      );
      // One source still reaches TLS: the advice is seed 002's fix.
      expect(JSON.stringify(view.blocks)).toContain('Add `tls-crypt` (or per-client `tls-crypt-v2`) to the server');
    });

    it('says nothing for the same flood 15 minutes later', async () => {
      now = T + 15 * MINUTE_MS;
      expect((await watchFloods(deps)).alerted).toEqual([]);
      expect(told).toHaveLength(1);
    });

    it('alerts again when a new source joins', async () => {
      now = T + 30 * MINUTE_MS;
      append(tlsCryptRefusals('192.0.2.50', 45, T + 10 * MINUTE_MS));
      expect((await watchFloods(deps)).alerted).toEqual([{ endpoint: 'openvpn:office', kind: 'changed' }]);
      expect(told[1]).toMatchObject({ kind: 'changed', previous: { sources: 2, ratePerHour: 100 } });
      expect(told[1].sources.map((source) => source.ip)).toContain('192.0.2.50');
    });

    it('alerts again when the rate doubles', async () => {
      now = T + 45 * MINUTE_MS;
      append(tlsCryptRefusals('192.0.2.50', 200, T + 30 * MINUTE_MS, 4_000));
      expect((await watchFloods(deps)).alerted).toEqual([{ endpoint: 'openvpn:office', kind: 'changed' }]);
      expect(told[2]).toMatchObject({ kind: 'changed', ratePerHour: 245, previous: { ratePerHour: 105 } });
    });

    it('says "flood over" once when the last hour is quiet, even with two runners at once', async () => {
      now = T + 3 * HOUR_MS;
      const other: FloodAlert[] = [];
      const [mine, theirs] = await Promise.all([
        watchFloods(deps),
        watchFloods({
          ...deps,
          state: new DynamoDbFloodStateStore(db),
          alerts: { flood: async (alert) => void other.push(alert) },
        }),
      ]);
      expect([...mine.alerted, ...theirs.alerted]).toEqual([{ endpoint: 'openvpn:office', kind: 'over' }]);
      expect([...told.slice(3), ...other].map((alert) => alert.kind)).toEqual(['over']);
      expect(floodAlertMessage([...told.slice(3), ...other][0]).text).toMatch(
        /^:white_check_mark: `openvpn:office`: flood over \(told at 2026-12-05 01:45 UTC\)/,
      );
      now = T + 3 * HOUR_MS + 15 * MINUTE_MS;
      expect((await watchFloods(deps)).alerted).toEqual([]);
    });

    it('an alert that could not be sent is not recorded as told: the next round tells it', async () => {
      const branchFile = join(dir.path, 'branch.log');
      appendFileSync(branchFile, `${tlsCryptRefusals('203.0.113.99', 40, now - 20 * MINUTE_MS).join('\n')}\n`);
      const branch = { ...deps, sources: [new OpenVpnConnectionLog({ name: 'branch', logFile: branchFile })] };
      const failing = await watchFloods({
        ...branch,
        alerts: {
          flood: () => Promise.reject(new Error('Slack is down')),
        },
      });
      expect(failing.alerted).toEqual([]);
      expect(failing.problems).toEqual(['openvpn:branch: the started alert was not sent: Slack is down']);
      const retried: FloodAlert[] = [];
      const next = await watchFloods({ ...branch, alerts: { flood: async (alert) => void retried.push(alert) } });
      expect(next.alerted).toEqual([{ endpoint: 'openvpn:branch', kind: 'started' }]);
      expect(retried[0].sources).toEqual([{ ip: '203.0.113.99', failedPerHour: 40, droppedBeforeTls: true }]);
      // Every source is already dropped before TLS: the advice is the firewall, not tls-crypt.
      expect(JSON.stringify(floodAlertMessage(retried[0]).blocks)).toContain('The server already drops these');
    });

    it('takes one of two saves of the same version, whichever lands first', async () => {
      const store = new DynamoDbFloodStateStore(db);
      const current = (await store.get('openvpn:office'))!;
      const next = { ...current, version: current.version + 1, alertedAt: new Date(now) };
      const saved = await Promise.all([store.save(next), store.save(next)]);
      expect(saved.sort()).toEqual([false, true]);
      expect(await store.get('openvpn:office')).toEqual(next);
    });

    it('a log it cannot read is a problem, never "over"', async () => {
      const report = await watchFloods({
        ...deps,
        sources: [new OpenVpnConnectionLog({ name: 'gone', logFile: join(dir.path, 'missing.log') })],
      });
      expect(report.alerted).toEqual([]);
      expect(report.problems).toHaveLength(1);
    });
  },
);
