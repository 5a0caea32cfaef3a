import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { VpnChatopsError } from '../../domain/errors';
import type { Job, JobQueue } from '../../slack/jobs';

/** On AWS: an asynchronous invocation of the worker function, which returns in tens of milliseconds. */
export class LambdaJobQueue implements JobQueue {
  constructor(
    private readonly functionName: string,
    private readonly client = new LambdaClient({ maxAttempts: 3 }),
  ) {}

  async enqueue(job: Job): Promise<void> {
    const payload = { ...job, id: job.id ?? randomUUID() };
    const result = await this.client.send(new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    if (result.StatusCode !== 202) throw new VpnChatopsError('ENDPOINT', `The worker ${this.functionName} did not accept the job (status ${result.StatusCode}).`);
  }
}
