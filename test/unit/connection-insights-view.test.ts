import type { ConnectionAttempt } from '../../src/domain/connection-log';
import type { ConnectionLogRead } from '../../src/ports';
import { awsFixtureRead, logRead } from '../helpers/connection-logs';
import { insightWindow, summarizeConnections, type InsightsReport } from '../../src/services/connection-insights';
import { assertWithinSlackLimits } from '../../src/slack/views/limits';
import { sparkline } from '../../src/render/attempts-chart';
import { chartComment, connectionInsightsMessage } from '../../src/slack/views/connection-insights';

const NOW = new Date('2026-03-01T12:00:00Z');
const HOSTILE = '<!channel> & co';

const texts = (message: { blocks: unknown[] }) => JSON.stringify(message.blocks);

function report(hours: number, ...endpoints: [string, ConnectionLogRead | string][]): InsightsReport {
  const window = insightWindow(hours, NOW);
  return {
    window,
    endpoints: endpoints.map(([endpoint, source]) =>
      typeof source === 'string'
        ? { endpoint, error: source }
        : { endpoint, summary: summarizeConnections(endpoint, source, window) },
    ),
  };
}

/** A busy, hostile week: a flood, hundreds of names that keep failing, long odd values everywhere. */
function worstCase(): ConnectionLogRead {
  const attempts: ConnectionAttempt[] = [];
  const from = NOW.getTime() - 168 * 3_600_000;
  for (let i = 0; i < 20_000; i++) {
    attempts.push({
      at: from + (i % 168) * 3_600_000 + (i % 60) * 1000,
      status: i % 3 === 0 ? 'successful' : 'failed',
      reason: `${HOSTILE} reason ${i % 40} ${'x'.repeat(200)}`,
      commonName: `${HOSTILE}-${i % 400}-${'n'.repeat(100)}`,
      sourceIp: i % 2 ? `203.0.${i % 7}.${i % 250}` : '198.51.100.66',
      clientVersion: `${HOSTILE} ${i % 30}`,
    });
  }
  return logRead(attempts, {
    malformed: 12,
    unrecognisedFields: new Set(Array.from({ length: 30 }, (_, i) => `${HOSTILE}-field-${i}`)),
    truncated: `stopped ${'y'.repeat(400)}`,
    notes: ['n'.repeat(500)],
  });
}

describe('connectionInsightsMessage', () => {
  it('shows the AWS fixture: totals, who keeps failing, rankings and what was skipped', () => {
    const message = connectionInsightsMessage(
      report(12, [
        'aws-client-vpn:cvpn-endpoint-0123456789abcdef0',
        awsFixtureRead({ notes: ['AWS Client VPN does not log failed mutual-TLS attempts'] }),
      ]),
    );
    assertWithinSlackLimits('message', message);
    const all = texts(message);
    expect(message.text).toBe(
      'Connection attempts, last 12 hours: aws-client-vpn:cvpn-endpoint-0123456789abcdef0: 8 attempts, 5 failed.',
    );
    expect(all).toContain('*8 attempts* · ✅ 3 successful · ❌ 5 failed');
    expect(all).toContain('Busiest hour: 2026-03-01 09:00 UTC, 3 attempts (3 failed)');
    expect(all).toMatch(
      /🔁 \*Keeps failing\*.*`bob\.laptop-U0BOB\.vpn\.example\.com`: 3 failed, mostly `client-connect-failed`, last attempt 2026-03-01 09:05 UTC; \*still failing\*/,
    );
    expect(all).toContain('`client-connect-failed` 3');
    expect(all).toContain('`203.0.113.7` 3');
    expect(all).toContain('_not logged_ 7 (5 failed)');
    expect(all).toContain('6 malformed lines skipped');
    expect(all).toContain('3 repeated entries of the same connection counted once');
    expect(all).toContain('`aws-client-version`, `tunnel-mtu`');
    expect(all).toContain('ℹ️ AWS Client VPN does not log failed mutual-TLS attempts');
    expect(all).not.toContain('Possible flood');
  });

  it('flags a flood and says what to do about it', () => {
    const at = NOW.getTime() - 2 * 3_600_000;
    const flood = Array.from({ length: 500 }, (_, i) => ({
      at: at + i * 1000,
      status: 'failed',
      reason: 'tls-handshake-timeout',
      sourceIp: '148.163.126.72',
    }));
    const message = connectionInsightsMessage(report(24, ['openvpn:local', logRead(flood)]));
    assertWithinSlackLimits('message', message);
    expect(message.text).toContain('1 possible flood');
    expect(texts(message)).toMatch(
      /🚨 \*Possible flood\*.*`148\.163\.126\.72`: 500 failed, 0 successful; peak 500 failures in the hour from 2026-03-01 10:00 UTC; no certificate name seen/,
    );
  });

  it('stays within Slack limits for the worst case on many endpoints, escaping everything that came from a log', () => {
    const window = insightWindow(1000, NOW);
    const summary = summarizeConnections(`openvpn:${HOSTILE}`, worstCase(), window);
    const endpoints = Array.from({ length: 9 }, (_, i) => ({
      endpoint: `openvpn:${HOSTILE}-${i}`,
      summary: { ...summary, endpoint: `openvpn:${HOSTILE}-${i}` },
    }));
    const message = connectionInsightsMessage(
      { window, endpoints },
      { sent: false, reason: `${HOSTILE} missing_scope` },
    );
    assertWithinSlackLimits('message', message);
    const all = texts(message);
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;!channel&gt; &amp; co');
    expect(all).toContain(
      'You asked for 1,000 hours; one summary covers at most 168 (a week), so this is the last 168.',
    );
    expect(all).toContain('…and 3 more endpoints');
    // Slack reads <name> as markup and drops it: the hint must name the option's value plainly.
    expect(all).toContain('`vpnctl logs --endpoint NAME` summarizes each.');
    expect(all).toContain('The chart of attempts per hour could not be sent');
  });

  it('says why an endpoint could not be read, beside the ones that could', () => {
    const message = connectionInsightsMessage(
      report(
        24,
        [
          'aws-client-vpn:cvpn-endpoint-0123456789abcdef0',
          'aws-client-vpn:cvpn-endpoint-0123456789abcdef0: missing permission logs:FilterLogEvents on log group g',
        ],
        ['openvpn:local', logRead([])],
      ),
      { sent: true },
    );
    assertWithinSlackLimits('message', message);
    const all = texts(message);
    expect(all).toContain(
      '⚠️ *aws-client-vpn:cvpn-endpoint-0123456789abcdef0*: aws-client-vpn:cvpn-endpoint-0123456789abcdef0: missing permission logs:FilterLogEvents',
    );
    expect(all).toContain('*openvpn:local*: *0 attempts*');
    expect(all).toContain('📈 A chart of attempts per hour');
    expect(message.text).toContain('not read');
  });

  it('says when there are no endpoints at all', () => {
    const message = connectionInsightsMessage(report(24));
    assertWithinSlackLimits('message', message);
    expect(texts(message)).toContain('No VPN endpoints are configured');
  });
});

describe('sparkline and chart comment', () => {
  it('draws one character per hour, blank for empty hours, full for the busiest', () => {
    const at = (hour: number) => NOW.getTime() - (4 - hour) * 3_600_000;
    const summary = summarizeConnections(
      'openvpn:local',
      logRead([
        { at: at(0), status: 'successful' },
        ...Array.from({ length: 8 }, () => ({ at: at(2), status: 'failed' })),
      ]),
      insightWindow(4, NOW),
    );
    expect(sparkline(summary.hourly)).toBe('▁ █ ');
    expect(sparkline(summarizeConnections('openvpn:local', logRead([]), insightWindow(4, NOW)).hourly)).toBe('');
    expect(chartComment(summary)).toBe(
      'Connection attempts per hour on openvpn:local, 2026-03-01 08:00 UTC – 2026-03-01 12:00 UTC: green successful, red failed, grey other. 9 attempts, 8 failed.',
    );
  });
});
