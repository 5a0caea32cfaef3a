import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { VpnChatopsError } from '../domain/errors';

/**
 * Checks made before anything starts, so a problem the user can fix is reported as one sentence
 * naming the fix, and nothing is left half-started.
 */

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** Throws the message to show when TCP `port` on 127.0.0.1 is taken; `setting` is the variable that moves it. */
export async function assertTcpPortFree(port: number, setting: string, what: string): Promise<void> {
  if (await tcpFree(port)) return;
  throw new VpnChatopsError(
    'INVALID_CONFIG',
    `Port ${port} (${setting}) is already in use, so ${what} cannot listen there. Stop the program using it (\`ss -ltnp 'sport = :${port}'\` shows which) or choose another: ${setting}=<port> npm start.`,
  );
}

/** Undefined when free, else why the local OpenVPN server cannot have it. */
export async function vpnPortProblem(
  port: number,
  setting: string,
  protocol: 'udp' | 'tcp',
): Promise<string | undefined> {
  const free = protocol === 'udp' ? await udpFree(port) : await tcpFree(port);
  return free
    ? undefined
    : `${protocol.toUpperCase()} port ${port} (${setting}) is already in use by another program: stop it or set ${setting} to a free port`;
}

/** The state dir exists (created with mode 0700 on first run), is a folder, and is writable. */
export function prepareStateDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new VpnChatopsError(
      'STATE',
      `STATE_DIR ${dir} is a file, not a folder: move it away or point STATE_DIR elsewhere.`,
    );
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch (error) {
    throw new VpnChatopsError(
      'STATE',
      `STATE_DIR ${dir} cannot be used (${(error as Error).message}): fix its permissions or point STATE_DIR at a folder you own.`,
    );
  }
}

/**
 * Where `name` is on PATH, or in the sbin folders where Debian puts daemons (not on a normal user's PATH), or in
 * `extraDirs`.
 */
export function findProgram(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(':').filter(Boolean),
    '/usr/local/sbin',
    '/usr/sbin',
    '/sbin',
    ...extraDirs,
  ];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** "2.6.14" from `openvpn --version`, or undefined when it does not run. */
export function openvpnVersion(program: string): string | undefined {
  const probe = spawnSync(program, ['--version'], { encoding: 'utf8', timeout: 5_000 });
  return /OpenVPN (\d+\.\d+(?:\.\d+)?)/.exec(`${probe.stdout ?? ''}${probe.stderr ?? ''}`)?.[1];
}
