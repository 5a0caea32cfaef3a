import { setTimeout as delay } from 'node:timers/promises';
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  DescribeClientVpnConnectionsCommand,
  DescribeClientVpnEndpointsCommand,
  EC2Client,
  ExportClientVpnClientCertificateRevocationListCommand,
  ExportClientVpnClientConfigurationCommand,
  ImportClientVpnClientCertificateRevocationListCommand,
  TerminateClientVpnConnectionsCommand,
  type ClientVpnConnection,
  type ClientVpnEndpoint,
} from '@aws-sdk/client-ec2';
import { VpnChatopsError } from '../../domain/errors';
import type {
  ConnectHandlerState,
  EndpointHealth,
  LiveCrl,
  ServerCertificate,
  VpnEndpoint,
  VpnSession,
} from '../../ports';
import { DENIED_CODES, awsError, backoffMs, hasCode, isRetryable, isThrottled } from '../aws-errors';

export interface RetryOptions {
  /** Tries in all, the first one included. */
  attempts?: number;
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface AwsClientVpnEndpointOptions {
  id: string;
  region: string;
  client?: EC2Client;
  /** ACM, where the endpoint's server certificate lives; only `doctor` reads it. */
  acm?: ACMClient;
  retry?: RetryOptions;
}

/** The AWS actions we call, named as IAM names them: an access-denied message must say which one to grant. */
type AwsAction =
  | 'ec2:ImportClientVpnClientCertificateRevocationList'
  | 'ec2:ExportClientVpnClientCertificateRevocationList'
  | 'ec2:DescribeClientVpnConnections'
  | 'ec2:TerminateClientVpnConnections'
  | 'ec2:ExportClientVpnClientConfiguration'
  | 'ec2:DescribeClientVpnEndpoints'
  | 'acm:DescribeCertificate';

const NOT_FOUND_CODES = new Set([
  'InvalidClientVpnEndpointId.NotFound',
  'InvalidClientVpnEndpointId.Malformed',
  'ResourceNotFoundException',
]);
/** The Describe* maximum: fewer round trips, so fewer chances to be throttled. */
const PAGE_SIZE = 1000;

/**
 * An AWS Client VPN endpoint, through the EC2 API. Retries are ours, not the SDK's, so that they are
 * explicit, bounded and testable; every failure becomes an ENDPOINT error that says what to do.
 */
export class AwsClientVpnEndpoint implements VpnEndpoint {
  readonly key: string;
  readonly kind = 'aws-client-vpn' as const;
  private readonly id: string;
  private readonly region: string;
  private readonly client: EC2Client;
  private acmClient?: ACMClient;
  private readonly retry: Required<RetryOptions>;

  constructor(options: AwsClientVpnEndpointOptions) {
    this.id = options.id;
    this.region = options.region;
    this.key = `aws-client-vpn:${options.id}`;
    this.client = options.client ?? new EC2Client({ region: options.region, maxAttempts: 1 });
    this.acmClient = options.acm;
    this.retry = {
      attempts: options.retry?.attempts ?? 5,
      baseDelayMs: options.retry?.baseDelayMs ?? 200,
      sleep: options.retry?.sleep ?? ((ms) => delay(ms)),
    };
  }

  async importCrl(pem: string): Promise<void> {
    await this.call('ec2:ImportClientVpnClientCertificateRevocationList', () =>
      this.client.send(
        new ImportClientVpnClientCertificateRevocationListCommand({
          ClientVpnEndpointId: this.id,
          CertificateRevocationList: pem,
        }),
      ),
    );
  }

  async exportCrl(): Promise<LiveCrl> {
    const output = await this.call('ec2:ExportClientVpnClientCertificateRevocationList', () =>
      this.client.send(new ExportClientVpnClientCertificateRevocationListCommand({ ClientVpnEndpointId: this.id })),
    );
    return { pem: output.CertificateRevocationList || undefined, status: output.Status?.Code };
  }

  /** The API cannot filter on common name, so this returns every active session and callers match the CN. */
  async listSessions(): Promise<VpnSession[]> {
    const sessions: VpnSession[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('ec2:DescribeClientVpnConnections', () =>
        this.client.send(
          new DescribeClientVpnConnectionsCommand({
            ClientVpnEndpointId: this.id,
            MaxResults: PAGE_SIZE,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        ),
      );
      sessions.push(...(page.Connections ?? []).flatMap(activeSession));
      nextToken = page.NextToken || undefined;
    } while (nextToken !== undefined);
    return sessions;
  }

  /** One call per connection (mutual auth leaves no username to terminate by); one failure does not spare the rest. */
  async terminateSessions(connectionIds: string[]): Promise<string[]> {
    const terminated: string[] = [];
    let firstFailure: unknown;
    for (const connectionId of connectionIds) {
      try {
        await this.terminate(connectionId);
        terminated.push(connectionId);
      } catch (error) {
        firstFailure ??= error;
      }
    }
    if (terminated.length === 0 && firstFailure !== undefined) throw firstFailure;
    return terminated;
  }

  async clientConfiguration(): Promise<string> {
    const output = await this.call('ec2:ExportClientVpnClientConfiguration', () =>
      this.client.send(new ExportClientVpnClientConfigurationCommand({ ClientVpnEndpointId: this.id })),
    );
    if (!output.ClientConfiguration) {
      throw new VpnChatopsError(
        'ENDPOINT',
        `${this.describe()} returned an empty client configuration: check that the endpoint is available and has an associated subnet.`,
      );
    }
    return output.ClientConfiguration;
  }

  async health(): Promise<EndpointHealth> {
    const endpoint = await this.describeEndpoint();
    const status = endpoint.Status?.Code ?? 'unknown';
    const statusMessage = endpoint.Status?.Message ? ` (${endpoint.Status.Message})` : '';
    return {
      ok: status === 'available',
      detail: `${this.describe()} is ${status}${statusMessage}; ${connectHandlerState(endpoint)}.`,
    };
  }

  async connectHandler(): Promise<ConnectHandlerState> {
    const handler = (await this.describeEndpoint()).ClientConnectOptions;
    return {
      enabled: Boolean(handler?.Enabled),
      functionArn: handler?.LambdaFunctionArn || undefined,
      status: handler?.Status?.Code,
    };
  }

  /** The endpoint names its server certificate by ARN; ACM knows when it expires. */
  async serverCertificate(): Promise<ServerCertificate> {
    const arn = (await this.describeEndpoint()).ServerCertificateArn;
    if (!arn)
      throw new VpnChatopsError(
        'ENDPOINT',
        `${this.describe()} reports no server certificate ARN: check the endpoint in the VPC console.`,
      );
    const acm = this.acm();
    const output = await this.call(
      'acm:DescribeCertificate',
      () => acm.send(new DescribeCertificateCommand({ CertificateArn: arn })),
      () =>
        new VpnChatopsError(
          'ENDPOINT',
          `The server certificate ${arn} of ${this.describe()} is not in ACM: import it again and update the endpoint.`,
        ),
    );
    const certificate = output.Certificate;
    if (!certificate?.NotAfter)
      throw new VpnChatopsError(
        'ENDPOINT',
        `ACM returned no expiry date for ${arn} (status ${certificate?.Status ?? 'unknown'}): check the certificate in ACM.`,
      );
    return {
      location: arn,
      subject: certificate.Subject ?? certificate.DomainName,
      notAfter: certificate.NotAfter,
      status: certificate.Status,
    };
  }

  private async describeEndpoint(): Promise<ClientVpnEndpoint> {
    const output = await this.call('ec2:DescribeClientVpnEndpoints', () =>
      this.client.send(new DescribeClientVpnEndpointsCommand({ ClientVpnEndpointIds: [this.id] })),
    );
    const endpoint = output.ClientVpnEndpoints?.find((candidate) => candidate.ClientVpnEndpointId === this.id);
    if (endpoint === undefined) throw this.notFound();
    return endpoint;
  }

  /** Made on first use: only `doctor` needs ACM, and the bot's other paths should not pay for the client. */
  private acm(): ACMClient {
    return (this.acmClient ??= new ACMClient({ region: this.region, maxAttempts: 1 }));
  }

  private async terminate(connectionId: string): Promise<void> {
    const output = await this.call('ec2:TerminateClientVpnConnections', () =>
      this.client.send(
        new TerminateClientVpnConnectionsCommand({ ClientVpnEndpointId: this.id, ConnectionId: connectionId }),
      ),
    );
    const status = output.ConnectionStatuses?.find((entry) => entry.ConnectionId === connectionId)?.CurrentStatus;
    if (status?.Code === 'failed-to-terminate') {
      throw new VpnChatopsError(
        'ENDPOINT',
        `${this.describe()} failed to terminate connection ${connectionId}${status.Message ? ` (${status.Message})` : ''}: try again.`,
      );
    }
  }

  private async call<T>(action: AwsAction, request: () => Promise<T>, notFound = () => this.notFound()): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.retry.attempts) throw this.failure(action, error, attempt, notFound);
        await this.retry.sleep(backoffMs(this.retry.baseDelayMs, attempt));
      }
    }
  }

  private failure(
    action: AwsAction,
    error: unknown,
    attempts: number,
    notFound: () => VpnChatopsError,
  ): VpnChatopsError {
    const { codes, message } = awsError(error);
    if (hasCode(error, NOT_FOUND_CODES)) {
      const missing = notFound();
      return new VpnChatopsError(missing.code, missing.message, { cause: error });
    }
    if (hasCode(error, DENIED_CODES)) {
      return new VpnChatopsError(
        'ENDPOINT',
        `Not allowed to call ${action} on ${this.describe()}: grant ${action} to the IAM role the bot runs as.`,
        { cause: error, permission: action },
      );
    }
    let text: string;
    if (isThrottled(error)) {
      text = `AWS throttled ${action} on ${this.describe()} ${attempts} times in a row: try again in a few minutes.`;
    } else {
      const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
      text = `${action} failed on ${this.describe()}${tries}: ${codes[0] ?? 'Error'}: ${message}`;
    }
    return new VpnChatopsError('ENDPOINT', text, { cause: error });
  }

  private notFound(cause?: unknown): VpnChatopsError {
    return new VpnChatopsError(
      'ENDPOINT',
      `AWS Client VPN endpoint ${this.id} was not found in ${this.region}: check VPN_ENDPOINTS (id and region).`,
      cause === undefined ? undefined : { cause },
    );
  }

  private describe(): string {
    return `AWS Client VPN endpoint ${this.id} in ${this.region}`;
  }
}

/** DescribeClientVpnConnections also lists connections that ended in the last hour; only live ones are sessions. */
function activeSession(connection: ClientVpnConnection): VpnSession[] {
  if (connection.Status?.Code !== 'active' || !connection.ConnectionId) return [];
  return [
    {
      connectionId: connection.ConnectionId,
      commonName: connection.CommonName ?? '',
      clientIp: connection.ClientIp,
      connectedAt: connection.ConnectionEstablishedTime
        ? parseAwsTime(connection.ConnectionEstablishedTime)
        : undefined,
    },
  ];
}

/** AWS writes `2019-08-12 07:57:14` with no zone; UTC is the documented-by-example convention. */
function parseAwsTime(text: string): Date | undefined {
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function connectHandlerState(endpoint: ClientVpnEndpoint): string {
  const handler = endpoint.ClientConnectOptions;
  if (!handler?.Enabled) return 'connect handler not enabled';
  const applying = handler.Status?.Code && handler.Status.Code !== 'applied' ? ` (${handler.Status.Code})` : '';
  return `connect handler enabled: ${handler.LambdaFunctionArn ?? 'no Lambda function ARN'}${applying}`;
}
