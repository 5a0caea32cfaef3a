import { setTimeout as delay } from 'node:timers/promises';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { parseAwsConnectionLogEvent } from '../../domain/connection-log';
import { VpnChatopsError } from '../../domain/errors';
import type { ConnectionLogRead, ConnectionLogSource } from '../../ports';
import { DENIED_CODES, awsError, backoffMs, hasCode, isRetryable, isThrottled } from '../aws-errors';
import type { RetryOptions } from '../aws-client-vpn/endpoint';

export interface CloudWatchConnectionLogOptions {
  /** The Client VPN endpoint id: the summary belongs to `aws-client-vpn:<id>`. */
  endpointId: string;
  region: string;
  /** The log group the endpoint's connection logging writes to (ConnectionLogOptions.CloudwatchLogGroup). */
  logGroup: string;
  /** Only this stream; unset reads every stream in the group. */
  logStream?: string;
  client?: CloudWatchLogsClient;
  retry?: RetryOptions;
  /** Reading stops after this many events, and says so: a summary must come back while someone waits. */
  maxEvents?: number;
  /** FilterLogEvents may answer with empty pages while it searches; this bounds the calls as well. */
  maxPages?: number;
}

const NOT_FOUND_CODES = new Set(['ResourceNotFoundException']);
/** The FilterLogEvents maximum per page. */
const PAGE_LIMIT = 10_000;

/**
 * "Failed mutual authentication attempts are not logged" (reference/aws-client-vpn.md §5.1): worth saying beside every
 * AWS summary.
 */
const AWS_NOTE =
  'AWS Client VPN does not log failed mutual-TLS attempts (bad, revoked or expired certificates, expired CRL): the AuthenticationFailures metric in CloudWatch counts those.';

/** An AWS Client VPN endpoint's connection log, read with logs:FilterLogEvents, page by bounded page. */
export class CloudWatchConnectionLog implements ConnectionLogSource {
  readonly endpoint: string;
  private readonly client: CloudWatchLogsClient;
  private readonly retry: Required<RetryOptions>;
  private readonly maxEvents: number;
  private readonly maxPages: number;

  constructor(private readonly options: CloudWatchConnectionLogOptions) {
    this.endpoint = `aws-client-vpn:${options.endpointId}`;
    this.client = options.client ?? new CloudWatchLogsClient({ region: options.region, maxAttempts: 1 });
    this.retry = {
      attempts: options.retry?.attempts ?? 5,
      baseDelayMs: options.retry?.baseDelayMs ?? 200,
      sleep: options.retry?.sleep ?? ((ms) => delay(ms)),
    };
    this.maxEvents = options.maxEvents ?? 200_000;
    this.maxPages = options.maxPages ?? 200;
  }

  async read(from: Date, to: Date): Promise<ConnectionLogRead> {
    const read: ConnectionLogRead = {
      attempts: [],
      events: 0,
      malformed: 0,
      ignored: 0,
      unrecognisedFields: new Set(),
      notes: [AWS_NOTE],
    };
    let nextToken: string | undefined;
    let pages = 0;
    let lastAt: number | undefined;
    do {
      if (pages >= this.maxPages || read.events >= this.maxEvents) {
        const where =
          lastAt === undefined ? '' : ` (up to ${new Date(lastAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
        read.truncated = `stopped after ${read.events.toLocaleString('en-US')} log events in ${pages} pages${where}; ask for fewer hours to see the rest of the window`;
        break;
      }
      const page = await this.page(from, to, nextToken);
      pages++;
      for (const event of page.events ?? []) {
        read.events++;
        if (event.timestamp !== undefined) lastAt = event.timestamp;
        const entry = parseAwsConnectionLogEvent(event.message ?? '', event.timestamp, read.unrecognisedFields);
        if (entry === 'malformed') read.malformed++;
        else if (entry === 'other') read.ignored++;
        else read.attempts.push(entry);
      }
      nextToken = page.nextToken || undefined;
    } while (nextToken !== undefined);
    return read;
  }

  private async page(from: Date, to: Date, nextToken: string | undefined): Promise<FilterLogEventsCommandOutput> {
    const input = {
      logGroupName: this.options.logGroup,
      ...(this.options.logStream !== undefined && { logStreamNames: [this.options.logStream] }),
      startTime: from.getTime(),
      // endTime is inclusive; the window is not.
      endTime: to.getTime() - 1,
      limit: PAGE_LIMIT,
      ...(nextToken !== undefined && { nextToken }),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.send(new FilterLogEventsCommand(input));
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.retry.attempts) throw this.failure(error, attempt);
        await this.retry.sleep(backoffMs(this.retry.baseDelayMs, attempt));
      }
    }
  }

  private failure(error: unknown, attempts: number): VpnChatopsError {
    const { codes, message } = awsError(error);
    const group = `log group ${this.options.logGroup} in ${this.options.region}`;
    let text: string;
    if (hasCode(error, DENIED_CODES)) {
      text = `${this.endpoint}: missing permission logs:FilterLogEvents on ${group}: grant it to the IAM role the bot runs as.`;
    } else if (hasCode(error, NOT_FOUND_CODES)) {
      text = `${this.endpoint}: ${group} was not found: check "logGroup" in VPN_ENDPOINTS and that connection logging is enabled on the endpoint.`;
    } else if (isThrottled(error)) {
      text = `${this.endpoint}: AWS throttled logs:FilterLogEvents on ${group} ${attempts} times in a row: try again in a few minutes.`;
    } else {
      const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
      text = `${this.endpoint}: logs:FilterLogEvents failed on ${group}${tries}: ${codes[0] ?? 'Error'}: ${message}`;
    }
    return new VpnChatopsError('ENDPOINT', text, { cause: error });
  }
}
