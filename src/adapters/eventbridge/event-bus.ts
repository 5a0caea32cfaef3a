import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** One PutEvents entry (EventBridge API reference, PutEventsRequestEntry). */
export interface BusEvent {
  EventBusName: string;
  Source: string;
  DetailType: string;
  /** A JSON object, as text. */
  Detail: string;
  Time?: Date;
}

/** PutEventsResultEntry: an EventId when accepted, an ErrorCode when not, in the order of the request. */
export interface BusEventResult {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface EventBus {
  putEvents(entries: BusEvent[]): Promise<BusEventResult[]>;
}

const REQUEST_TIMEOUT_MS = 5_000;

type Bytes = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: Bytes) =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape SignatureV4 takes. */
class Sha256 {
  private hash;
  constructor(private readonly secret?: Bytes) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: Bytes): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function parsed(text: string): Record<string, string | undefined> {
  try {
    return JSON.parse(text) as Record<string, string | undefined>;
  } catch {
    return {};
  }
}

/** Lambda gives every function its role's credentials in the environment. */
function credentialsFrom(env: NodeJS.ProcessEnv) {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN } = env;
  if (!accessKeyId || !secretAccessKey) throw new Error('No AWS credentials in the environment to sign PutEvents.');
  return { accessKeyId, secretAccessKey, ...(AWS_SESSION_TOKEN && { sessionToken: AWS_SESSION_TOKEN }) };
}

/**
 * PutEvents over EventBridge's JSON protocol, signed with the SDK's SigV4 signer: the one call the audit
 * stream makes, without a whole EventBridge client in the bundle. `AWS_ENDPOINT_URL_EVENTBRIDGE` points it
 * elsewhere (moto in the tests), as it would the SDK's client.
 */
export class SignedEventBus implements EventBus {
  private readonly signer: SignatureV4;
  private readonly url: URL;

  constructor(options: { region: string; env?: NodeJS.ProcessEnv }) {
    const env = options.env ?? process.env;
    this.url = new URL(env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? `https://events.${options.region}.amazonaws.com/`);
    this.signer = new SignatureV4({
      service: 'events',
      region: options.region,
      credentials: async () => credentialsFrom(env),
      sha256: Sha256,
    });
  }

  async putEvents(entries: BusEvent[]): Promise<BusEventResult[]> {
    const body = JSON.stringify({
      Entries: entries.map(({ Time, ...entry }) => ({ ...entry, ...(Time && { Time: Time.getTime() / 1000 }) })),
    });
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port ? Number(this.url.port) : undefined,
      path: this.url.pathname,
      query: {},
      headers: {
        host: this.url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
      },
      body,
    });
    // Well inside the function's 30 s, so a hung call is retried within the invocation instead of ending it.
    const response = await fetch(this.url, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) {
      const { __type, message, Message } = parsed(text);
      throw new Error(
        `PutEvents failed (${response.status} ${__type ?? ''}): ${message ?? Message ?? text.slice(0, 200)}`,
      );
    }
    const result = JSON.parse(text) as { Entries?: BusEventResult[] };
    return result.Entries ?? [];
  }
}
