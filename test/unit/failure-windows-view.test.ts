import type { EndpointFailureWindows } from '../../src/services/failure-windows';
import { withFailureWindows } from '../../src/slack/views/failure-windows';
import { assertWithinSlackLimits } from '../../src/slack/views/limits';
import type { MessageView } from '../../src/slack/views/types';

const FROM = new Date('2026-12-03T12:05:00Z');
const TO = new Date('2026-12-04T12:05:00Z');
const SUMMARY: MessageView = {
  text: 'Connection attempts, last 24 hours: …',
  blocks: [
    { type: 'section', text: { type: 'mrkdwn', text: 'window' } },
    { type: 'section', text: { type: 'mrkdwn', text: 'endpoint' } },
  ],
};
const spike = (hour: number, failures: number) => ({
  from: new Date(`2026-12-04T${String(hour).padStart(2, '0')}:00:00Z`),
  to: new Date(`2026-12-04T${String(hour).padStart(2, '0')}:10:00Z`),
  failures,
  peak: failures,
});
const search = (spikes: ReturnType<typeof spike>[], total: number) => ({ baseline: 0, threshold: 10, total, spikes });
const textOf = (view: MessageView) => JSON.stringify(view.blocks[1]);

describe('withFailureWindows (/vpn logs on AWS: the metric first)', () => {
  it('leaves the summary alone when no AWS metric was read', () => {
    expect(withFailureWindows(SUMMARY, [])).toBe(SUMMARY);
  });

  it('puts each endpoint’s spikes right under the window line, the summary after it', () => {
    const windows: EndpointFailureWindows[] = [
      { endpoint: 'aws-client-vpn:cvpn-endpoint-1', from: FROM, to: TO, search: search([spike(9, 1240)], 1250) },
      { endpoint: 'aws-client-vpn:cvpn-endpoint-2', from: FROM, to: TO, search: search([], 3) },
      {
        endpoint: 'aws-client-vpn:cvpn-endpoint-3',
        from: FROM,
        to: TO,
        error: 'missing permission cloudwatch:GetMetricData',
      },
    ];
    const view = withFailureWindows(SUMMARY, windows);
    expect(view.text).toBe(SUMMARY.text);
    expect(view.blocks).toHaveLength(3);
    expect(view.blocks[0]).toBe(SUMMARY.blocks[0]);
    expect(view.blocks[2]).toBe(SUMMARY.blocks[1]);
    const text = (view.blocks[1] as unknown as { text: { text: string } }).text.text;
    expect(text.split('\n')).toEqual([
      '*The metric first* (AWS logs no failed certificate handshake; `/vpn doctor` checks the CRL):',
      '📈 aws-client-vpn:cvpn-endpoint-1: 1,250 authentication failures, spiking 2026-12-04 09:00–09:10 UTC (1,240)',
      '✅ aws-client-vpn:cvpn-endpoint-2: 3 authentication failures, no spike',
      '⚠️ aws-client-vpn:cvpn-endpoint-3: AuthenticationFailures not read: missing permission cloudwatch:GetMetricData',
    ]);
  });

  it('lists five spikes and counts the rest, within Slack limits', () => {
    const many = [1, 2, 3, 4, 5, 6, 7].map((hour) => spike(hour, 20));
    const view = withFailureWindows(SUMMARY, [
      { endpoint: 'aws-client-vpn:cvpn-endpoint-1', from: FROM, to: TO, search: search(many, 140) },
    ]);
    expect(textOf(view)).toContain('05:00–05:10 UTC (20) and 2 more');
    expect(textOf(view)).not.toContain('06:00');
    assertWithinSlackLimits('message', view);
  });
});
