import { ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { OPENVPN } from './tools';

/** A free UDP port on loopback (bound and released; the window for a clash is tiny). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** A free TCP port on loopback, e.g. for `--management`. */
export { freeTcpPort } from '../../src/adapters/dynamodb/local-server';

export interface RunningOpenVpn {
  process: ChildProcess;
  log(): string;
  /** Resolves with the log once `pattern` appears after offset `since`; rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; since?: number }): Promise<string>;
  stop(): Promise<void>;
}

/** Start `openvpn` with `args`; every caller must `stop()` it (tests do so in `finally`/`afterAll`). */
export function startOpenVpn(args: string[]): RunningOpenVpn {
  const child = spawn(OPENVPN!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((notify) => notify());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return {
    process: child,
    log: () => output,
    waitFor(pattern, { timeoutMs = 20_000, since = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
          if (error) reject(error);
          else resolve(output);
        };
        const check = () => {
          if (pattern.test(output.slice(since))) done();
        };
        const onExit = () => done(new Error(`openvpn exited before ${pattern}:\n${output.slice(-3000)}`));
        const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${output.slice(-3000)}`)), timeoutMs);
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Server flags for tests: loopback only, and no address or route is ever configured. */
export function serverArgs(options: { port: number; ca: string; cert: string; key: string; crl: string; tlsCrypt: string; extra?: string[] }): string[] {
  return [
    '--local', '127.0.0.1', '--port', String(options.port), '--proto', 'udp4',
    '--dev', 'tun', '--topology', 'subnet', '--server', '10.213.0.0', '255.255.255.0',
    '--ca', options.ca, '--cert', options.cert, '--key', options.key, '--dh', 'none',
    '--crl-verify', options.crl, '--tls-crypt', options.tlsCrypt,
    '--ifconfig-noexec', '--route-noexec', '--verb', '3',
    ...(options.extra ?? []),
  ];
}

export const clientArgs = (profile: string) => ['--config', profile, '--ifconfig-noexec', '--route-noexec', '--verb', '3'];

export const CONNECTED = /Initialization Sequence Completed/;
