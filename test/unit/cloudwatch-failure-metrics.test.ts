import {
  CloudWatchFailureMetrics,
  type GetMetricDataInput,
  type GetMetricDataOutput,
} from '../../src/adapters/cloudwatch-metrics/failure-metrics';
import { VpnChatopsError } from '../../src/domain/errors';

const ID = 'cvpn-endpoint-0123456789abcdef0';
const FROM = new Date('2026-12-04T00:00:00Z');
const TO = new Date('2026-12-04T01:00:00Z');
const FIVE_MINUTES = 300_000;

/** The SDK's errors carry their code as `name`. */
const awsError = (name: string, status = 400) =>
  Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status } });

function metrics(answers: (GetMetricDataOutput | Error)[], options: { maxPages?: number } = {}) {
  const asked: GetMetricDataInput[] = [];
  const adapter = new CloudWatchFailureMetrics({
    endpointId: ID,
    region: 'eu-west-1',
    client: {
      getMetricData: async (input) => {
        asked.push(input);
        const answer = answers.shift() ?? {};
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
    retry: { attempts: 3, baseDelayMs: 0, sleep: async () => undefined },
    ...options,
  });
  return { adapter, asked };
}

describe('CloudWatchFailureMetrics', () => {
  it("asks for the endpoint's AuthenticationFailures, summed per period, and reads every page in time order", async () => {
    const { adapter, asked } = metrics([
      {
        MetricDataResults: [
          { Id: 'failures', Timestamps: [new Date('2026-12-04T00:10:00Z')], Values: [7], StatusCode: 'PartialData' },
        ],
        NextToken: 'page-2',
      },
      {
        MetricDataResults: [
          { Id: 'failures', Timestamps: [new Date('2026-12-04T00:05:00Z')], Values: [3], StatusCode: 'Complete' },
        ],
      },
    ]);
    expect(adapter.endpoint).toBe(`aws-client-vpn:${ID}`);
    expect(await adapter.authenticationFailures(FROM, TO, FIVE_MINUTES)).toEqual([
      { at: new Date('2026-12-04T00:05:00Z'), count: 3 },
      { at: new Date('2026-12-04T00:10:00Z'), count: 7 },
    ]);
    expect(asked[0]).toEqual({
      MetricDataQueries: [
        {
          Id: 'failures',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ClientVPN',
              MetricName: 'AuthenticationFailures',
              Dimensions: [{ Name: 'Endpoint', Value: ID }],
            },
            Period: 300,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      StartTime: FROM,
      EndTime: TO,
      ScanBy: 'TimestampAscending',
    });
    expect(asked[1].NextToken).toBe('page-2');
  });

  it('retries a throttled call, and names a missing grant as a permission', async () => {
    const { adapter, asked } = metrics([awsError('Throttling'), { MetricDataResults: [] }]);
    expect(await adapter.authenticationFailures(FROM, TO, FIVE_MINUTES)).toEqual([]);
    expect(asked).toHaveLength(2);

    const denied = metrics([awsError('AccessDenied', 403)]).adapter.authenticationFailures(FROM, TO, FIVE_MINUTES);
    await expect(denied).rejects.toThrow(VpnChatopsError);
    await expect(denied).rejects.toMatchObject({
      permission: 'cloudwatch:GetMetricData',
      message: expect.stringContaining(
        'missing permission cloudwatch:GetMetricData (AWS/ClientVPN AuthenticationFailures in eu-west-1)',
      ),
    });
  });

  it('stops a read that keeps paging, and says so', async () => {
    const endless = Array.from({ length: 5 }, () => ({ MetricDataResults: [], NextToken: 'again' }));
    await expect(
      metrics(endless, { maxPages: 3 }).adapter.authenticationFailures(FROM, TO, FIVE_MINUTES),
    ).rejects.toThrow(/still paging after 3 pages/);
  });
});
