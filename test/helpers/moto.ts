import { ChildProcess, spawn, spawnSync } from 'node:child_process';

/** moto_server (Python 3.11, on the machine image; .ci/run checks for it). */
export const MOTO_SERVER = spawnSync('moto_server', ['--help'], { timeout: 60_000 }).status === 0;

/** Dummy credentials: moto accepts any, and a laptop's real ones must never reach it. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/** moto_server on a free loopback port; resolves once it listens (bounded), and `stop()` ends it. */
export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`moto_server did not start within ${timeoutMs} ms: ${output}`)),
        timeoutMs,
      );
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`moto_server exited (${code}) before listening: ${output}`));
      });
    });
    // Drained, so a chatty server never blocks on a full pipe.
    child.stdout!.resume();
    child.stderr!.resume();
    return { endpoint, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
