import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { VpnChatopsError } from '../../domain/errors';
import type { Job, JobQueue } from '../../ports';

/**
 * Slack gets its answer only after the listener, and so this Invoke, has finished: a hung Invoke must
 * give up well inside Slack's 3 seconds, so the member sees an error instead of "dispatch_failed".
 * An Event invoke normally answers in tens of milliseconds; two tries of at most a second each, with
 * the SDK's jittered backoff between them (under 50 ms after a timeout or network error), leave the
 * rest of the budget to the cold start and the listener. A throttled first try waits longer (up to a
 * second, or what Lambda's Retry-After asks), and may then outlast Slack's 3 seconds.
 */
export const INVOKE_LIMITS = { maxAttempts: 2, connectionTimeout: 500, requestTimeout: 1_000 } as const;

/** The worker's Lambda client with those limits; `overrides` lets tests point it at a local server. */
export function workerLambdaClient(overrides: LambdaClientConfig = {}): LambdaClient {
  const { maxAttempts, connectionTimeout, requestTimeout } = INVOKE_LIMITS;
  // Without throwOnRequestTimeout, @smithy/node-http-handler 4 only logs a warning when requestTimeout passes.
  return new LambdaClient({
    maxAttempts,
    requestHandler: { connectionTimeout, requestTimeout, throwOnRequestTimeout: true },
    ...overrides,
  });
}

/** On AWS: an asynchronous invocation of the worker function, which returns in tens of milliseconds. */
export class LambdaJobQueue implements JobQueue {
  constructor(
    private readonly functionName: string,
    private readonly client = workerLambdaClient(),
  ) {}

  async enqueue(job: Job): Promise<void> {
    // The id lets the worker run the job once when Lambda delivers an asynchronous invocation twice.
    const payload = { ...job, id: job.id ?? randomUUID() };
    let status: number | undefined;
    try {
      const result = await this.client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify(payload)),
        }),
      );
      status = result.StatusCode;
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new VpnChatopsError(
        'ENDPOINT',
        `Could not hand the job to the worker function ${this.functionName} (${reason}). Try again in a minute; if it keeps failing, check that function and the lambda:InvokeFunction grant.`,
        { cause: error },
      );
    }
    if (status !== 202)
      throw new VpnChatopsError(
        'ENDPOINT',
        `The worker function ${this.functionName} did not accept the job (status ${status}). Try again in a minute; if it keeps failing, check that function's logs.`,
      );
  }
}
