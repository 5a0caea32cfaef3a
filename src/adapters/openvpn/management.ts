import { readFile } from 'node:fs/promises';
import { Socket, createConnection } from 'node:net';
import { VpnChatopsError } from '../../domain/errors';

const DEFAULT_TIMEOUT_MS = 5000;
/** Sent with no line break, before anything else, by a server started with `--management … pw-file`. */
const PASSWORD_PROMPT = 'ENTER PASSWORD:';
const PASSWORD_ACCEPTED = 'SUCCESS: password is correct';
const UNIX_PREFIX = 'unix:';

export interface ManagementConnectOptions {
  timeoutMs?: number;
  /** The file holding the password on its first line: the same file the server's `--management … pw-file` names. */
  passwordFile?: string;
}

/** The server answered a command with `ERROR: …`: the connection itself is still usable. */
export class ManagementCommandError extends VpnChatopsError {
  constructor(
    readonly command: string,
    readonly reply: string,
    address: string,
  ) {
    super('ENDPOINT', `OpenVPN management interface at ${address} refused "${command}": ${reply}`);
    this.name = 'ManagementCommandError';
  }
}

interface PendingReply {
  command: string;
  lines: string[];
  resolve(lines: string[]): void;
  reject(error: Error): void;
}

type NotificationListener = (line: string) => void;

/**
 * A client for OpenVPN's management interface (doc/management-notes.txt). Replies are matched to
 * commands by order alone, so only one command is ever in flight; `>` lines are real-time
 * notifications that may arrive at any moment, even in the middle of a reply.
 */
export class ManagementClient {
  private buffer = '';
  private pending: PendingReply | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closedBy: VpnChatopsError | undefined;
  private readonly listeners = new Set<NotificationListener>();

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly timeoutMs: number,
    /**
     * Whether the server asked for a password before serving us; without one, anyone who reaches the address can
     * approve logins.
     */
    readonly passwordProtected: boolean,
  ) {
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (error) => this.markClosed(`dropped the connection (${error.message})`));
    socket.on('close', () => this.markClosed('closed the connection'));
  }

  /**
   * Connect to `host:port` or `unix:/path`, give the password if the server asks for one, and wait for
   * the `>INFO:` banner, which tells us a management interface (not some other service) is listening.
   */
  static async connect(address: string, options: ManagementConnectOptions = {}): Promise<ManagementClient> {
    const target = parseAddress(address);
    // Read only once asked: a server that is down should be reported as down, not as a missing password file.
    const passwordFile = options.passwordFile;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = createConnection(target);
      socket.setEncoding('utf8');
      let received = '';
      let askedForPassword = false;
      let settled = false;
      const finish = (error?: VpnChatopsError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (error) {
          socket.destroy();
          reject(error);
          return;
        }
        socket.pause();
        const client = new ManagementClient(socket, address, timeoutMs, askedForPassword);
        client.start(received);
        resolve(client);
      };
      const onData = (chunk: string) => {
        received += chunk;
        for (;;) {
          if (received.startsWith(PASSWORD_PROMPT)) {
            received = received.slice(PASSWORD_PROMPT.length);
            // OpenVPN asks again after a wrong password; asking a second time would only use up its three tries.
            if (askedForPassword)
              return finish(
                endpointError(
                  address,
                  `did not accept the password in ${passwordFile}: it must hold, on its first line, the password in the file the server's --management line names`,
                ),
              );
            askedForPassword = true;
            if (passwordFile === undefined)
              return finish(
                endpointError(
                  address,
                  'asks for a password: set "managementPasswordFile" for this endpoint in VPN_ENDPOINTS to a file holding it (the file the server\'s --management line names)',
                ),
              );
            readPassword(address, passwordFile).then(
              (password) => {
                if (!settled) socket.write(`${password}\n`);
              },
              (error: VpnChatopsError) => finish(error),
            );
            continue;
          }
          const newline = received.indexOf('\n');
          if (newline < 0) return;
          const line = received.slice(0, newline).trim();
          received = received.slice(newline + 1);
          if (askedForPassword && line === PASSWORD_ACCEPTED) continue;
          if (line.startsWith('>INFO:')) return finish();
          return finish(
            endpointError(address, `sent "${line}" instead of the >INFO: banner: is this an OpenVPN management port?`),
          );
        }
      };
      const onError = (error: NodeJS.ErrnoException) => finish(connectError(address, error));
      const onClose = () => finish(endpointError(address, 'closed the connection before sending its >INFO: banner'));
      const timer = setTimeout(
        () =>
          finish(
            endpointError(
              address,
              `sent no >INFO: banner within ${timeoutMs} ms: OpenVPN serves one management client at a time, so another may be connected (or this is not a management port)`,
            ),
          ),
        timeoutMs,
      );
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
    });
  }

  /** Listen for real-time `>` lines, delivered one by one in arrival order. Returns an unsubscribe function. */
  onNotification(listener: NotificationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Send one command and resolve with its reply: the `SUCCESS:` line, or the lines before `END`.
   * An `ERROR:` reply rejects with a ManagementCommandError.
   */
  command(text: string): Promise<string[]> {
    if (/[\r\n]/.test(text)) {
      return Promise.reject(
        endpointError(this.address, 'cannot take a command containing a line break: it would run as two commands'),
      );
    }
    const reply = this.queue.then(() => this.send(text));
    this.queue = reply.catch(() => undefined);
    return reply;
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    this.markClosed('was disconnected by close()');
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    const timer = setTimeout(() => this.socket.destroy(), this.timeoutMs);
    this.socket.end();
    await closed;
    clearTimeout(timer);
  }

  /**
   * Whatever arrived with the banner is held back until the caller has resumed after `connect()`, so a
   * listener registered right then still sees every notification; commands wait for it too.
   */
  private start(leftover: string): void {
    this.queue = new Promise<void>((resolve) =>
      setImmediate(() => {
        this.receive(leftover);
        this.socket.resume();
        resolve();
      }),
    );
  }

  private send(command: string): Promise<string[]> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        settle(() => reject(endpointError(this.address, `did not answer "${command}" within ${this.timeoutMs} ms`)));
        // A late reply would be taken for the next command's, so the connection cannot be reused.
        this.markClosed(`was disconnected after "${command}" timed out`);
        this.socket.destroy();
      }, this.timeoutMs);
      const settle = (action: () => void) => {
        clearTimeout(timer);
        this.pending = undefined;
        action();
      };
      this.pending = {
        command,
        lines: [],
        resolve: (lines) => settle(() => resolve(lines)),
        reject: (error) => settle(() => reject(error)),
      };
      this.socket.write(`${command}\n`);
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      if (line.startsWith('>')) this.notify(line);
      else this.addToReply(line);
    }
  }

  private notify(line: string): void {
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch {
        // A failing listener must not stop the others or desynchronise replies from commands.
      }
    }
  }

  private addToReply(line: string): void {
    const pending = this.pending;
    // Without a command in flight there is nobody to give the line to; OpenVPN sends none.
    if (!pending) return;
    const first = pending.lines.length === 0;
    if (first && line.startsWith('SUCCESS:')) pending.resolve([line]);
    else if (first && line.startsWith('ERROR:'))
      pending.reject(new ManagementCommandError(pending.command, line, this.address));
    else if (line === 'END') pending.resolve(pending.lines);
    else pending.lines.push(line);
  }

  /** Fail the command in flight and every later one with the first reason the connection ended. */
  private markClosed(reason: string): void {
    this.closedBy ??= endpointError(this.address, `${reason}; connect again to send more commands`);
    const pending = this.pending;
    if (pending) pending.reject(endpointError(this.address, `${reason} before answering "${pending.command}"`));
  }
}

type ManagementTarget = { host: string; port: number } | { path: string };

/** `host:port` (TCP) or `unix:/path` (a Unix socket, as `--management /path unix` makes). */
export function parseAddress(address: string): ManagementTarget {
  const text = address.trim();
  if (text.startsWith(UNIX_PREFIX)) {
    const path = text.slice(UNIX_PREFIX.length);
    if (path.startsWith('/')) return { path };
  } else {
    const match = /^(.+):(\d{1,5})$/.exec(text);
    const port = match ? Number(match[2]) : 0;
    if (match && port >= 1 && port <= 65535) return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
  }
  throw new VpnChatopsError(
    'ENDPOINT',
    `"${address}" is not a management address: expected host:port (e.g. 127.0.0.1:7505) or unix:/absolute/path (e.g. unix:/run/openvpn/mgmt.sock)`,
  );
}

/** OpenVPN reads the password from the pw-file's first line; so do we. */
async function readPassword(address: string, file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new VpnChatopsError(
      'ENDPOINT',
      `Cannot read the management password file ${file} for ${address}: ${(error as Error).message}: check "managementPasswordFile" in VPN_ENDPOINTS`,
      { cause: error },
    );
  }
  const password = text.split(/\r?\n/, 1)[0];
  if (password === '')
    throw new VpnChatopsError(
      'ENDPOINT',
      `The management password file ${file} for ${address} has an empty first line: put the password there`,
    );
  return password;
}

function endpointError(address: string, problem: string): VpnChatopsError {
  return new VpnChatopsError('ENDPOINT', `OpenVPN management interface at ${address} ${problem}`);
}

function connectError(address: string, error: NodeJS.ErrnoException): VpnChatopsError {
  const target = parseAddress(address);
  if ('path' in target && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')) {
    return endpointError(address, `is not listening: is the server running with --management ${target.path} unix?`);
  }
  if ('host' in target && error.code === 'ECONNREFUSED') {
    return endpointError(
      address,
      `refused the connection: is the server running with --management ${target.host} ${target.port}?`,
    );
  }
  return new VpnChatopsError(
    'ENDPOINT',
    `Cannot reach the OpenVPN management interface at ${address}: ${error.message}`,
    { cause: error },
  );
}
