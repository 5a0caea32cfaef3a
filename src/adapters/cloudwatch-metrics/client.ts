import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricDataReader } from './failure-metrics';

/** GetMetricData through the SDK; the adapter retries itself, so the client tries once. */
export function cloudWatchMetricReader(
  region: string,
  client = new CloudWatchClient({ region, maxAttempts: 1 }),
): MetricDataReader {
  return { getMetricData: (input) => client.send(new GetMetricDataCommand(input)) };
}
