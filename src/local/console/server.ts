import { readFile } from 'node:fs/promises';
import { IncomingMessage, RequestListener, Server, ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';
import type { SlackStandIn } from '../slack-standin/server';
import { AppUnavailableError, ConsoleApi, ConsoleInputError } from './api';
import { consoleRefusal } from '../loopback-guard';

const PUBLIC_DIR = join(__dirname, 'public');
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/blocks.js': { file: 'blocks.js', type: 'text/javascript; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};
const FILE_PATH = /^\/files\/([A-Z0-9]+)$/;
const MAX_BODY = 64 * 1024;
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface ConsoleServer {
  readonly url: string;
  stop(): Promise<void>;
}

export interface ConsoleServerOptions {
  port: number;
  slack: SlackStandIn;
  signingSecret: string;
  admins: readonly string[];
  adminChannel?: string;
  /** The app's request handler: /slack/events on this same server is its Request URL. */
  app: RequestListener;
  /** What runs where, for the page's "About this workspace" panel. */
  about: Record<string, string>;
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
    ...SECURITY_HEADERS,
    ...extra,
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ConsoleInputError('That request is too large.');
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw new ConsoleInputError('Send a JSON object.');
}

/**
 * The local console on 127.0.0.1:PORT: the page at /, its small JSON API under /console/api/, live
 * updates as server-sent events, profile downloads at /files/<id>, and the app's own Request URL at
 * /slack/events, which the console reaches over HTTP like Slack does. Every request must name this
 * server in Host (and Origin, when a browser sends one), and API posts must be JSON: see loopback-guard.ts.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const url = `http://127.0.0.1:${options.port}`;
  const api = new ConsoleApi({
    slack: options.slack,
    appUrl: `${url}/slack/events`,
    signingSecret: options.signingSecret,
    admins: options.admins,
    adminChannel: options.adminChannel,
  });
  const streams = new Set<ServerResponse>();
  const unsubscribe = options.slack.onChange((change) => {
    const line = `data: ${JSON.stringify(change)}\n\n`;
    for (const stream of streams) stream.write(line);
  });
  const heartbeat = setInterval(() => streams.forEach((stream) => stream.write(': keep-alive\n\n')), 15_000);

  const routes: Record<string, (body: Record<string, unknown>) => Promise<unknown> | unknown> = {
    command: (body) => api.command(body.user, body.channel, body.text),
    click: (body) => api.click(body.user, body.target, body.block, body.element, body.selections),
    submit: (body) => api.submit(body.user, body.viewId, body.values),
    close: (body) => api.closeModal(body.user),
    react: (body) => api.react(body.user, body.channel, body.ts, body.name),
    open: (body) => api.openApp(body.user, body.tab),
    deactivate: (body) => api.deactivate(body.target),
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', url).pathname;
    // Before anything else, /slack/events included: only the console's own server-side fetch posts there.
    const refusal = consoleRefusal(req, options.port, { requireJson: path.startsWith('/console/api/') });
    if (refusal) return send(res, 403, refusal, 'text/plain; charset=utf-8');
    if (path === '/slack/events') return options.app(req, res);
    if (req.method === 'GET' && STATIC[path]) {
      const { file, type } = STATIC[path];
      return send(res, 200, await readFile(join(PUBLIC_DIR, file)), type);
    }
    const download = FILE_PATH.exec(path);
    if (req.method === 'GET' && download) {
      const file = options.slack.file(download[1]);
      if (!file?.bytes || !file.channel) return send(res, 404, 'No such file', 'text/plain; charset=utf-8');
      return send(res, 200, file.bytes, 'application/octet-stream', {
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      });
    }
    if (req.method === 'GET' && path === '/console/api/state') {
      return sendJson(res, 200, {
        ...api.state(new URL(req.url ?? '/', url).searchParams.get('user')),
        about: options.about,
      });
    }
    if (req.method === 'GET' && path === '/console/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    const route = /^\/console\/api\/([a-z]+)$/.exec(path)?.[1];
    if (req.method === 'POST' && route && routes[route]) {
      const result = await routes[route](await readJson(req));
      return sendJson(res, 200, { ok: true, ...(typeof result === 'object' && result !== null ? result : {}) });
    }
    send(res, 404, 'Not found', 'text/plain; charset=utf-8');
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      if (error instanceof ConsoleInputError) return sendJson(res, 400, { ok: false, error: error.message });
      if (error instanceof AppUnavailableError) return sendJson(res, 502, { ok: false, error: error.message });
      sendJson(res, 500, { ok: false, error: `The console failed: ${(error as Error).message}` });
    });
  });
  await listen(server, options.port);
  return {
    url,
    stop: async () => {
      clearInterval(heartbeat);
      unsubscribe();
      for (const stream of streams) stream.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
