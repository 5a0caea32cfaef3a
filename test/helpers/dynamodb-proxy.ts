import { IncomingMessage, Server, ServerResponse, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A DynamoDB error answer, as the service sends it (JSON 1.0 protocol). */
export interface DynamoDbFault {
  status: number;
  type: string;
  message: string;
}

/**
 * The run's DynamoDB Local behind a loopback HTTP proxy, so that a test can make the database stall
 * (requests held, as with the server paused by SIGSTOP: the connection is accepted, no answer comes)
 * or refuse chosen requests with a real DynamoDB error, while the code under test uses its own,
 * unmodified SDK client pointed at `endpoint`.
 */
export interface DynamoDbProxy {
  readonly endpoint: string;
  /** Hold every request from now until resume(). */
  pause(): void;
  /** Hold only the requests whose operation and body match, from now until resume(). */
  pauseWhen(matches: (operation: string, body: string) => boolean): void;
  resume(): void;
  /** Answer requests whose operation (e.g. `PutItem`) and body match with `fault`, until cleared. */
  failWhen(matches: (operation: string, body: string) => boolean, fault: DynamoDbFault): () => void;
  stop(): Promise<void>;
}

export async function startDynamoDbProxy(target: string): Promise<DynamoDbProxy> {
  const upstream = new URL(target);
  let paused:
    { released: Promise<void>; release: () => void; matches: (operation: string, body: string) => boolean } | undefined;
  const faults = new Set<{ matches: (operation: string, body: string) => boolean; fault: DynamoDbFault }>();

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (res.destroyed) return answer.resume();
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const operation =
          String(req.headers['x-amz-target'] ?? '')
            .split('.')
            .pop() ?? '';
        const body = Buffer.concat(chunks);
        if (paused?.matches(operation, body.toString())) await paused.released;
        // The client gave up (aborted) while the database was stalled: nothing to answer.
        if (res.destroyed) return;
        const fault = [...faults].find((entry) => entry.matches(operation, body.toString()))?.fault;
        if (fault) {
          const answer = JSON.stringify({
            __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`,
            message: fault.message,
          });
          res.writeHead(fault.status, {
            'content-type': 'application/x-amz-json-1.0',
            'content-length': String(Buffer.byteLength(answer)),
          });
          res.end(answer);
          return;
        }
        forward(req, body, res);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const pauseWhen = (matches: (operation: string, body: string) => boolean) => {
    resume();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    paused = { released, release, matches };
  };
  const resume = () => {
    paused?.release();
    paused = undefined;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pause: () => pauseWhen(() => true),
    pauseWhen,
    resume,
    failWhen(matches, fault) {
      const entry = { matches, fault };
      faults.add(entry);
      return () => faults.delete(entry);
    },
    async stop() {
      resume();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
