import { EventBridgeClient, type EventBridgeClientConfig, PutEventsCommand } from '@aws-sdk/client-eventbridge';

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

/** Well inside the function's 30 s, so a hung call is retried within the invocation instead of ending it. */
const REQUEST_TIMEOUT_MS = 5_000;

/** PutEvents through the SDK's EventBridge client; `overrides` point it at moto in the tests. */
export class EventBridgeBus implements EventBus {
  private readonly client: EventBridgeClient;

  constructor(config: EventBridgeClientConfig = {}) {
    this.client = new EventBridgeClient({
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
      ...config,
    });
  }

  async putEvents(entries: BusEvent[]): Promise<BusEventResult[]> {
    try {
      const result = await this.client.send(new PutEventsCommand({ Entries: entries }));
      return result.Entries ?? [];
    } catch (error) {
      const {
        name = 'Error',
        message = String(error),
        $metadata,
      } = error as {
        name?: string;
        message?: string;
        $metadata?: { httpStatusCode?: number };
      };
      throw new Error(`PutEvents failed (${$metadata?.httpStatusCode ?? 'no answer'} ${name}): ${message}`, {
        cause: error,
      });
    }
  }
}
