import { VpnChatopsError } from '../../src/domain/errors';
import type { FailureCount } from '../../src/domain/failure-spikes';
import type { FailureMetricsSource } from '../../src/ports';
import { runDoctor } from '../../src/services/doctor';
import { failureMetricChecks } from '../../src/services/doctor-metrics';
import { METRIC_PERIOD_MS, failureWindows } from '../../src/services/failure-windows';
import { SettableClock } from '../helpers/agent-ops-fakes';

const NOW = new Date('2026-12-04T12:02:00Z');
const ENDPOINT = 'aws-client-vpn:cvpn-endpoint-0123456789abcdef0';

/** A metric source that answers with `counts` and records what it was asked. */
function source(counts: FailureCount[] | Error, endpoint = ENDPOINT) {
  const asked: { from: Date; to: Date; periodMs: number }[] = [];
  const metrics: FailureMetricsSource & { asked: typeof asked } = {
    endpoint,
    asked,
    authenticationFailures: async (from, to, periodMs) => {
      asked.push({ from, to, periodMs });
      if (counts instanceof Error) throw counts;
      return counts;
    },
  };
  return metrics;
}

const at = (iso: string, count: number): FailureCount => ({ at: new Date(iso), count });
const clock = new SettableClock(NOW);

describe('failureWindows', () => {
  it('reads whole 5-minute periods up to now and finds the spike to read the logs for', async () => {
    const metrics = source([
      at('2026-12-04T09:00:00Z', 40),
      at('2026-12-04T09:05:00Z', 35),
      at('2026-12-04T10:00:00Z', 1),
    ]);
    const [result] = await failureWindows([metrics], 24, NOW);
    expect(metrics.asked).toEqual([
      { from: new Date('2026-12-03T12:05:00Z'), to: new Date('2026-12-04T12:05:00Z'), periodMs: METRIC_PERIOD_MS },
    ]);
    expect(result.search?.spikes).toEqual([
      { from: new Date('2026-12-04T09:00:00Z'), to: new Date('2026-12-04T09:10:00Z'), failures: 75, peak: 40 },
    ]);
    expect(result.search?.total).toBe(76);
  });

  it('keeps searching the other endpoints when one cannot be read', async () => {
    const results = await failureWindows(
      [source(new Error('socket hang up')), source([], 'aws-client-vpn:cvpn-endpoint-2')],
      24,
      NOW,
    );
    expect(results.map((r) => r.error)).toEqual([
      `${ENDPOINT}: AuthenticationFailures could not be read (socket hang up).`,
      undefined,
    ]);
    expect(results[1].search?.spikes).toEqual([]);
  });

  it('refuses hours that are not a whole number', async () => {
    await expect(failureWindows([], 0, NOW)).rejects.toThrow(RangeError);
  });
});

describe('doctor: the last 24 h of AuthenticationFailures per AWS endpoint', () => {
  it('passes a quiet endpoint, with the count', async () => {
    expect(await failureMetricChecks({ failureMetrics: [source([at('2026-12-04T08:00:00Z', 3)])], clock })).toEqual([
      {
        name: `${ENDPOINT}: authentication failures`,
        status: 'pass',
        detail: '3 in the last 24 h, no spike (baseline 0 per 5 minutes)',
      },
    ]);
  });

  it('warns on a spike with its window, and says to run /vpn logs over hours that cover it', async () => {
    const [check] = await failureMetricChecks({
      failureMetrics: [source([at('2026-12-04T09:00:00Z', 40), at('2026-12-04T09:05:00Z', 1200)])],
      clock,
    });
    expect(check).toEqual({
      name: `${ENDPOINT}: authentication failures`,
      status: 'warn',
      detail:
        '1,240 in the last 24 h, spiking 2026-12-04 09:00–09:10 UTC (1,240, peak 1200 per 5 minutes): an expired CRL, a wrong CA or revoked clients retrying look like this',
      fix: 'Run `/vpn logs 4` (or `vpnctl logs --hours 4`) for who failed in that window, and see the CRL lines above: an expired or stale CRL refuses everyone.',
    });
  });

  it('names a missing grant as such', async () => {
    const denied = new VpnChatopsError('ENDPOINT', `${ENDPOINT}: missing permission cloudwatch:GetMetricData`, {
      permission: 'cloudwatch:GetMetricData',
    });
    const [check] = await failureMetricChecks({ failureMetrics: [source(denied)], clock });
    expect(check).toMatchObject({ status: 'fail', fix: expect.stringContaining('Grant cloudwatch:GetMetricData') });
  });

  it('runDoctor reports the line only where metrics are wired', async () => {
    const base = {
      crlState: {} as never,
      endpoints: [],
      clock,
      policy: { renewBeforeDays: 30, publishMode: 'immediate' as const, certDays: 365 },
      requiredScopes: [],
      database: { probe: async () => 'ok' },
    };
    const names = async (deps: Parameters<typeof runDoctor>[0]) => (await runDoctor(deps)).map((check) => check.name);
    expect(await names(base)).not.toContain(`${ENDPOINT}: authentication failures`);
    expect(await names({ ...base, failureMetrics: [source([])] })).toContain(`${ENDPOINT}: authentication failures`);
  });
});
