/**
 * One CloudWatch metric data point as an Embedded Metric Format log line: Lambda's log stream turns it
 * into a metric, so publishing needs no SDK, no permission beyond writing logs, and no extra call.
 * Spec:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function emfLine(
  namespace: string,
  dimensions: Record<string, string>,
  metrics: Record<string, number>,
  at: Date,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: Object.keys(metrics).map((name) => ({ Name: name, Unit: 'None' })),
        },
      ],
    },
    ...dimensions,
    ...metrics,
  });
}

export const METRICS_NAMESPACE = 'VpnChatops';
export const CRL_DAYS_LEFT = 'CrlDaysLeft';
