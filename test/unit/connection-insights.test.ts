import { MAX_HOURS, type ConnectionAttempt } from '../../src/domain/connection-log';
import { VpnChatopsError } from '../../src/domain/errors';
import { OpenVpnLogParser } from '../../src/domain/openvpn-log';
import type { ConnectionLogRead, ConnectionLogSource } from '../../src/ports';
import { awsFixtureRead, logRead } from '../helpers/connection-logs';
import {
  INSIGHT_RULES,
  connectionInsights,
  insightWindow,
  summarizeConnections,
} from '../../src/services/connection-insights';

const HOUR = 3_600_000;
const NOW = new Date('2026-03-01T12:00:00Z');

describe('insightWindow', () => {
  it('reaches back the hours asked for, up to a week, and says when it capped', () => {
    expect(insightWindow(24, NOW)).toEqual({ from: NOW.getTime() - 24 * HOUR, to: NOW.getTime(), hours: 24 });
    expect(insightWindow(1000, NOW)).toEqual({
      from: NOW.getTime() - MAX_HOURS * HOUR,
      to: NOW.getTime(),
      hours: MAX_HOURS,
      requestedHours: 1000,
    });
  });

  it('starts on a clock hour, so that every bar is one', () => {
    const now = new Date('2026-03-01T10:05:00Z');
    const window = insightWindow(1, now);
    expect(window).toEqual({ from: Date.parse('2026-03-01T09:00:00Z'), to: now.getTime(), hours: 1 });
    expect(
      summarizeConnections('openvpn:local', logRead([]), window).hourly.map((bucket) =>
        new Date(bucket.start).toISOString(),
      ),
    ).toEqual(['2026-03-01T09:00:00.000Z', '2026-03-01T10:00:00.000Z']);
  });

  it.each([0, -3, 1.5, Number.NaN])('refuses %p hours', (hours) => {
    expect(() => insightWindow(hours, NOW)).toThrow(RangeError);
  });
});

describe('summarizeConnections', () => {
  it('summarizes the AWS fixture: one attempt per connection, by status, reason, name, address and client version', () => {
    const summary = summarizeConnections(
      'aws-client-vpn:cvpn-endpoint-0123456789abcdef0',
      awsFixtureRead(),
      insightWindow(12, NOW),
    );
    expect(summary).toMatchObject({ attempts: 8, successful: 3, failed: 5 });
    expect(summary.input).toEqual({
      events: 19,
      malformed: 6,
      ignored: 1,
      outsideWindow: 1,
      duplicates: 3,
      unrecognisedFields: ['aws-client-version', 'tunnel-mtu'],
      notes: [],
    });
    expect(summary.byStatus.top).toEqual([
      { key: 'failed', attempts: 5, failed: 5 },
      { key: 'successful', attempts: 3, failed: 0 },
    ]);
    expect(summary.byReason.top).toEqual([
      { key: 'client-connect-failed', attempts: 3, failed: 3 },
      { key: 'client-connect-handler-throttled', attempts: 1, failed: 1 },
      { key: 'client-connect-handler-timed-out', attempts: 1, failed: 1 },
    ]);
    expect(summary.byCommonName.top[0]).toEqual({ key: 'bob.laptop-U0BOB.vpn.example.com', attempts: 3, failed: 3 });
    expect(summary.byCommonName.distinct).toBe(6);
    expect(summary.byIp.top.slice(0, 2)).toEqual([
      { key: '203.0.113.7', attempts: 3, failed: 3 },
      { key: '198.51.100.99', attempts: 2, failed: 2 },
    ]);
    expect(summary.byClientVersion.top).toEqual([
      { key: '', attempts: 7, failed: 5 },
      { key: '5.2.0', attempts: 1, failed: 0 },
    ]);
    // A connection first waiting for a SAML assertion and then successful counts as successful.
    expect(summary.hourly.slice(8).map(({ successful, failed, other }) => [successful, failed, other])).toEqual([
      [1, 0, 0],
      [0, 3, 0],
      [2, 0, 0],
      [0, 2, 0],
    ]);
    expect(summary.repeatFailures).toEqual([
      {
        commonName: 'bob.laptop-U0BOB.vpn.example.com',
        failed: 3,
        successful: 0,
        lastAt: Date.UTC(2026, 2, 1, 9, 5),
        stillFailing: true,
        topReason: 'client-connect-failed',
        ips: 1,
      },
    ]);
    expect(summary.floods).toEqual([]);
  });

  it("flags seed 002's flood (one address, a handshake a second) and nobody else", () => {
    const start = NOW.getTime() - 3 * HOUR;
    const lines: string[] = [];
    const stamp = (ms: number) => {
      const d = new Date(ms);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    };
    for (let s = 0; s < 3600; s++) {
      const port = 20_000 + s;
      lines.push(
        `${stamp(start + s * 1000)} 148.163.126.72:${port} TLS: Initial packet from [AF_INET]148.163.126.72:${port}, sid=6a22eb44 5adb63fe`,
      );
      lines.push(
        `${stamp(start + (s + 60) * 1000)} 148.163.126.72:${port} TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)`,
      );
    }
    // A laptop with a broken profile retrying once a minute for 29 minutes: under the flood rule, but it keeps failing.
    for (let m = 0; m < 29; m++)
      lines.push(
        `${stamp(start + m * 60_000)} 192.0.2.50:${3000 + m} VERIFY ERROR: depth=0, error=certificate has expired: CN=carl-U0CARL.vpn.test, serial=1`,
      );
    lines.push(
      `${stamp(start + 2 * HOUR)} jane-U0JANE.vpn.test/198.51.100.1:5000 MULTI_sva: pool returned IPv4=10.8.0.2`,
    );
    lines.sort();
    const parser = new OpenVpnLogParser({ now: NOW.getTime() });
    for (const line of lines) parser.push(line);
    const summary = summarizeConnections('openvpn:local', logRead(parser.finish()), insightWindow(24, NOW));

    expect(summary.failed).toBe(3600 + 29);
    expect(summary.floods).toEqual([
      {
        ip: '148.163.126.72',
        failed: 3600,
        successful: 0,
        peakPerHour: 3600,
        peakHourStart: start,
        commonNames: 0,
        firstAt: start,
        lastAt: start + 3599_000,
      },
    ]);
    expect(summary.repeatFailures.map((r) => [r.commonName, r.failed, r.stillFailing, r.topReason])).toEqual([
      ['carl-U0CARL.vpn.test', 29, true, 'certificate-expired'],
    ]);
    expect(summary.byReason.top.map((t) => t.key)).toEqual(['tls-handshake-timeout', 'certificate-expired']);
  });

  it(`needs ${INSIGHT_RULES.floodFailuresPerHour} failures from one address within one hour of the window`, () => {
    const from = NOW.getTime() - 24 * HOUR;
    const failures = (ip: string, count: number, spacingMs: number, offset = 0): ConnectionAttempt[] =>
      Array.from({ length: count }, (_, i) => ({
        at: from + offset + i * spacingMs,
        status: 'failed',
        reason: 'tls-crypt-failed',
        sourceIp: ip,
      }));
    const summary = summarizeConnections(
      'openvpn:local',
      logRead([
        ...failures('192.0.2.1', INSIGHT_RULES.floodFailuresPerHour, 60_000),
        ...failures('192.0.2.2', INSIGHT_RULES.floodFailuresPerHour - 1, 60_000),
        // Many failures, but spread over the day: a retrying client, not a flood.
        ...failures('192.0.2.3', 48, 30 * 60_000),
      ]),
      insightWindow(24, NOW),
    );
    expect(summary.floods.map((flood) => [flood.ip, flood.peakPerHour])).toEqual([
      ['192.0.2.1', INSIGHT_RULES.floodFailuresPerHour],
    ]);
  });

  it(`lists names with ${INSIGHT_RULES.repeatFailures}+ failures, still failing first, and says when one got in at last`, () => {
    const from = NOW.getTime() - 24 * HOUR;
    const attempt = (cn: string, minute: number, status: string, reason?: string): ConnectionAttempt => ({
      at: from + minute * 60_000,
      status,
      commonName: cn,
      sourceIp: '192.0.2.7',
      ...(reason && { reason }),
    });
    const summary = summarizeConnections(
      'aws-client-vpn:cvpn-endpoint-0123456789abcdef0',
      logRead([
        attempt('recovered', 1, 'failed', 'client-connect-failed'),
        attempt('recovered', 2, 'failed', 'client-connect-failed'),
        attempt('recovered', 3, 'failed', 'client-connect-handler-timed-out'),
        attempt('recovered', 4, 'successful'),
        attempt('twice', 1, 'failed', 'client-connect-failed'),
        attempt('twice', 2, 'failed', 'client-connect-failed'),
        attempt('stuck', 5, 'successful'),
        attempt('stuck', 6, 'failed'),
        attempt('stuck', 7, 'failed'),
        attempt('stuck', 8, 'failed'),
      ]),
      insightWindow(24, NOW),
    );
    expect(
      summary.repeatFailures.map((r) => [r.commonName, r.failed, r.successful, r.stillFailing, r.topReason]),
    ).toEqual([
      ['stuck', 3, 1, true, 'unspecified'],
      ['recovered', 3, 1, false, 'client-connect-failed'],
    ]);
  });

  it('summarizes an empty window as zeros with an empty bar for every hour', () => {
    const summary = summarizeConnections('openvpn:local', logRead([]), insightWindow(6, NOW));
    expect(summary).toMatchObject({ attempts: 0, successful: 0, failed: 0, floods: [], repeatFailures: [] });
    expect(summary.hourly).toHaveLength(6);
    expect(summary.hourly.every((bucket) => bucket.successful + bucket.failed + bucket.other === 0)).toBe(true);
    expect(summary.byCommonName).toEqual({ top: [], distinct: 0 });
  });

  it('keeps the latest decisive status of a connection logged several times', () => {
    const at = NOW.getTime() - HOUR;
    const summary = summarizeConnections(
      'aws-client-vpn:cvpn-endpoint-0123456789abcdef0',
      logRead([
        { at, status: 'waiting-for-assertion', connectionId: 'c1' },
        { at, status: 'successful', connectionId: 'c1', commonName: 'a' },
        { at, status: 'unknown', connectionId: 'c1' },
        { at, status: 'failed', connectionId: 'c2', reason: 'client-connect-failed' },
        { at, status: 'failed', connectionId: 'c2' },
      ]),
      insightWindow(2, NOW),
    );
    expect(summary.byStatus.top).toEqual([
      { key: 'failed', attempts: 1, failed: 1 },
      { key: 'successful', attempts: 1, failed: 0 },
    ]);
    expect(summary.byReason.top).toEqual([{ key: 'client-connect-failed', attempts: 1, failed: 1 }]);
    expect(summary.byCommonName.top).toContainEqual({ key: 'a', attempts: 1, failed: 0 });
    expect(summary.input.duplicates).toBe(3);
  });

  it(`lists at most ${INSIGHT_RULES.top} entries per ranking and counts the rest`, () => {
    const at = NOW.getTime() - HOUR;
    const attempts = Array.from({ length: 500 }, (_, i) => ({
      at,
      status: 'successful',
      commonName: `user-${i}`,
      sourceIp: `10.0.${i % 250}.1`,
    }));
    const summary = summarizeConnections('openvpn:local', logRead(attempts), insightWindow(2, NOW));
    expect(summary.byCommonName.top).toHaveLength(INSIGHT_RULES.top);
    expect(summary.byCommonName.distinct).toBe(500);
    expect(summary.byIp.top[0].attempts).toBe(2);
  });
});

describe('connectionInsights', () => {
  const source = (
    endpoint: string,
    result: () => Promise<ConnectionLogRead>,
  ): ConnectionLogSource & { calls: [Date, Date][] } => {
    const calls: [Date, Date][] = [];
    return { endpoint, calls, read: (from, to) => (calls.push([from, to]), result()) };
  };

  it('reads every endpoint over the same capped window; one that fails is reported beside the others', async () => {
    const ok = source('openvpn:local', async () =>
      logRead([{ at: NOW.getTime() - HOUR, status: 'successful', commonName: 'a' }]),
    );
    const denied = source('aws-client-vpn:cvpn-endpoint-0123456789abcdef0', async () => {
      throw new VpnChatopsError(
        'ENDPOINT',
        'aws-client-vpn:cvpn-endpoint-0123456789abcdef0: missing permission logs:FilterLogEvents on log group x',
      );
    });
    const broken = source('openvpn:other', async () => {
      throw new Error('EIO');
    });
    const report = await connectionInsights([ok, denied, broken], 500, NOW);
    expect(report.window).toMatchObject({ hours: MAX_HOURS, requestedHours: 500 });
    expect(ok.calls).toEqual([[new Date(NOW.getTime() - MAX_HOURS * HOUR), NOW]]);
    expect(report.endpoints[0].summary?.successful).toBe(1);
    expect(report.endpoints[1]).toEqual({
      endpoint: denied.endpoint,
      error: expect.stringMatching(/missing permission logs:FilterLogEvents/),
    });
    expect(report.endpoints[2]).toEqual({
      endpoint: 'openvpn:other',
      error: 'openvpn:other: the connection log could not be read (EIO).',
    });
  });
});
