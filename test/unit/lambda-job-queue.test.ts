import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, LambdaClient, LambdaServiceException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { INVOKE_LIMITS, LambdaJobQueue, workerLambdaClient } from '../../src/adapters/aws-lambda/job-queue';
import type { Job } from '../../src/ports';
import { rejectionOf } from '../helpers/errors';

const FUNCTION = 'vpn-chatops-worker';
const JOB: Job = { type: 'crl-status', actorId: 'U0ADMIN', responseUrl: 'https://hooks.slack.test/r/1' };

/** A queue whose client is mocked on this instance only, so the real-network case below is unaffected. */
function mockedQueue() {
  const client = new LambdaClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return { lambda: mockClient(client), queue: new LambdaJobQueue(FUNCTION, client) };
}

const sentPayload = (lambda: ReturnType<typeof mockedQueue>['lambda']) => {
  const [call] = lambda.commandCalls(InvokeCommand);
  return JSON.parse(Buffer.from(call.args[0].input.Payload as Uint8Array).toString('utf8')) as Job & { id: string };
};

/**
 * aws-sdk-client-mock here for throttling, timeouts and refusals, which moto does not produce; the Event
 * invocation against moto_server's Lambda: test/integration/aws-adapters-moto.test.ts.
 */
describe('LambdaJobQueue', () => {
  it('invokes the worker function asynchronously with the job and an id', async () => {
    const { lambda, queue } = mockedQueue();
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await queue.enqueue(JOB);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
    expect(lambda.commandCalls(InvokeCommand)[0].args[0].input).toMatchObject({
      FunctionName: FUNCTION,
      InvocationType: 'Event',
    });
    const payload = sentPayload(lambda);
    expect(payload).toEqual({ ...JOB, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('keeps an id the job already has, so a re-sent job is still run once', async () => {
    const { lambda, queue } = mockedQueue();
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await queue.enqueue({ ...JOB, id: 'job-42' });
    expect(sentPayload(lambda).id).toBe('job-42');
  });

  it('says so clearly when the worker does not accept the job', async () => {
    const { lambda, queue } = mockedQueue();
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });
    const error = await rejectionOf(queue.enqueue(JOB));
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toMatch(
      /worker function vpn-chatops-worker did not accept the job \(status 200\)\. Try again/,
    );
  });

  it('turns a failed Invoke into an error that names the function and the grant to check', async () => {
    const { lambda, queue } = mockedQueue();
    const denied = new LambdaServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'not authorized to perform: lambda:InvokeFunction',
    });
    lambda.on(InvokeCommand).rejects(denied);
    const error = await rejectionOf(queue.enqueue(JOB));
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toMatch(
      /Could not hand the job to the worker function vpn-chatops-worker \(AccessDeniedException: not authorized/,
    );
    expect(error.message).toMatch(/lambda:InvokeFunction grant/);
    expect(error.cause).toBe(denied);
  });

  describe('when Lambda hangs (the reply to Slack waits for this call)', () => {
    let server: Server;
    const requests: { url?: string; invocationType?: string | string[] }[] = [];

    beforeAll(async () => {
      // Accepts every request and never answers: only the client's own timeout ends the wait.
      server = createServer((request) =>
        requests.push({ url: request.url, invocationType: request.headers['x-amz-invocation-type'] }),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it(`gives up after ${INVOKE_LIMITS.maxAttempts} timed-out tries with a clear error, instead of waiting for Lambda`, async () => {
      const { port } = server.address() as AddressInfo;
      const client = workerLambdaClient({
        region: 'eu-west-1',
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      try {
        // Without a request timeout this never settles, and Jest fails the test at its own timeout.
        const error = await rejectionOf(new LambdaJobQueue(FUNCTION, client).enqueue(JOB));
        expect(error.message).toMatch(
          /Could not hand the job to the worker function vpn-chatops-worker \(TimeoutError/,
        );
        // The SDK's own count of tries. The server may see fewer: client and server share this event loop, so
        // on a loaded machine a try's 500 ms connection timeout can fire before the server reads the request.
        expect((error.cause as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(
          INVOKE_LIMITS.maxAttempts,
        );
        const invoke = { url: `/2015-03-31/functions/${FUNCTION}/invocations`, invocationType: 'Event' };
        expect(requests.length).toBeGreaterThan(0);
        expect(requests.length).toBeLessThanOrEqual(INVOKE_LIMITS.maxAttempts);
        for (const request of requests) expect(request).toEqual(invoke);
      } finally {
        client.destroy();
      }
    });
  });
});
