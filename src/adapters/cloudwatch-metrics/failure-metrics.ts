import { setTimeout as delay } from 'node:timers/promises';
import { VpnChatopsError } from '../../domain/errors';
import type { FailureCount } from '../../domain/failure-spikes';
import type { FailureMetricsSource } from '../../ports';
import { DENIED_CODES, awsError, backoffMs, hasCode, isRetryable, isThrottled } from '../aws-errors';
import type { RetryOptions } from '../aws-client-vpn/endpoint';

/** Client VPN's metrics (reference/aws-client-vpn.md §5.3): every 5 minutes, per endpoint. */
export const CLIENT_VPN_NAMESPACE = 'AWS/ClientVPN';
export const AUTHENTICATION_FAILURES = 'AuthenticationFailures';
export const ENDPOINT_DIMENSION = 'Endpoint';

/** GetMetricData's request and answer, as far as this adapter uses them (CloudWatch API reference). */
export interface GetMetricDataInput {
  MetricDataQueries: {
    Id: string;
    MetricStat: {
      Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
      Period: number;
      Stat: string;
    };
    ReturnData: boolean;
  }[];
  StartTime: Date;
  EndTime: Date;
  ScanBy?: 'TimestampAscending' | 'TimestampDescending';
  NextToken?: string;
}

export interface GetMetricDataOutput {
  MetricDataResults?: { Id?: string; Timestamps?: Date[]; Values?: number[]; StatusCode?: string }[];
  NextToken?: string;
}

/**
 * The one call this adapter makes. @aws-sdk/client-cloudwatch's client fits it:
 * `{ getMetricData: (input) => client.send(new GetMetricDataCommand(input)) }`.
 */
export interface MetricDataReader {
  getMetricData(input: GetMetricDataInput): Promise<GetMetricDataOutput>;
}

export interface CloudWatchFailureMetricsOptions {
  /** The Client VPN endpoint id: the metric's `Endpoint` dimension, and the key `aws-client-vpn:<id>`. */
  endpointId: string;
  region: string;
  client: MetricDataReader;
  retry?: RetryOptions;
  /**
   * A week of 5-minute periods is 2,016 points: well inside one page (100,800), so more pages mean something is wrong.
   */
  maxPages?: number;
}

/** An AWS Client VPN endpoint's `AuthenticationFailures`, read with cloudwatch:GetMetricData (Sum per period). */
export class CloudWatchFailureMetrics implements FailureMetricsSource {
  readonly endpoint: string;
  private readonly retry: Required<RetryOptions>;
  private readonly maxPages: number;

  constructor(private readonly options: CloudWatchFailureMetricsOptions) {
    this.endpoint = `aws-client-vpn:${options.endpointId}`;
    this.retry = {
      attempts: options.retry?.attempts ?? 5,
      baseDelayMs: options.retry?.baseDelayMs ?? 200,
      sleep: options.retry?.sleep ?? ((ms) => delay(ms)),
    };
    this.maxPages = options.maxPages ?? 10;
  }

  async authenticationFailures(from: Date, to: Date, periodMs: number): Promise<FailureCount[]> {
    // CloudWatch takes periods in whole minutes past a minute, and answers per period from StartTime.
    const period = Math.max(60, Math.round(periodMs / 60_000) * 60);
    const input: GetMetricDataInput = {
      MetricDataQueries: [
        {
          Id: 'failures',
          MetricStat: {
            Metric: {
              Namespace: CLIENT_VPN_NAMESPACE,
              MetricName: AUTHENTICATION_FAILURES,
              Dimensions: [{ Name: ENDPOINT_DIMENSION, Value: this.options.endpointId }],
            },
            Period: period,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      StartTime: from,
      EndTime: to,
      ScanBy: 'TimestampAscending',
    };
    const counts: FailureCount[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      if (pages >= this.maxPages)
        throw new VpnChatopsError(
          'ENDPOINT',
          `${this.endpoint}: GetMetricData was still paging after ${pages} pages of ${AUTHENTICATION_FAILURES}: ask for fewer hours.`,
        );
      const page = await this.page({ ...input, ...(nextToken !== undefined && { NextToken: nextToken }) });
      pages++;
      for (const result of page.MetricDataResults ?? []) {
        const values = result.Values ?? [];
        for (const [index, at] of (result.Timestamps ?? []).entries())
          counts.push({ at: new Date(at), count: values[index] ?? 0 });
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken !== undefined);
    return counts.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  private async page(input: GetMetricDataInput): Promise<GetMetricDataOutput> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.client.getMetricData(input);
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.retry.attempts) throw this.failure(error, attempt);
        await this.retry.sleep(backoffMs(this.retry.baseDelayMs, attempt));
      }
    }
  }

  private failure(error: unknown, attempts: number): VpnChatopsError {
    const { codes, message } = awsError(error);
    const action = 'cloudwatch:GetMetricData';
    const where = `${CLIENT_VPN_NAMESPACE} ${AUTHENTICATION_FAILURES} in ${this.options.region}`;
    if (hasCode(error, DENIED_CODES))
      return new VpnChatopsError(
        'ENDPOINT',
        `${this.endpoint}: missing permission ${action} (${where}): grant it to the IAM role the bot runs as.`,
        { cause: error, permission: action },
      );
    const text = isThrottled(error)
      ? `${this.endpoint}: AWS throttled ${action} ${attempts} times in a row: try again in a few minutes.`
      : `${this.endpoint}: ${action} failed for ${where}${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${codes[0] ?? 'Error'}: ${message}`;
    return new VpnChatopsError('ENDPOINT', text, { cause: error });
  }
}
