import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freeStackPorts, stackEnv } from '../test/helpers/stack';
import { tempDir } from '../test/helpers/tools';
import { ms, report } from './lib';

const ROOT = join(__dirname, '..');
const RUNS = 5;

/** Until GET / answers 200, polled every 25 ms; bounded. */
async function untilAnswering(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`npm start did not answer on ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One `npm start`, timed from spawn to the console answering, then stopped with Ctrl-C (SIGINT to its process group). */
async function once(env: NodeJS.ProcessEnv, url: string): Promise<number> {
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await untilAnswering(url, 120_000);
    return performance.now() - started;
  } finally {
    process.kill(-child.pid!, 'SIGINT');
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
    await exited;
    clearTimeout(killer);
  }
}

/**
 * start: how long `npm start` takes on a warm state dir (CA, DynamoDB data and OpenVPN files from an
 * earlier run) until the console answers; it answers only once every part is up. Target ≤ 8 s.
 */
export async function startBenchmark(): Promise<void> {
  const dir = tempDir('bench-start');
  try {
    const ports = await freeStackPorts();
    const env = stackEnv(join(dir.path, 'state'), ports);
    const url = `http://127.0.0.1:${ports.port}/`;
    const coldMs = await once(env, url);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await once(env, url));
    times.sort((a, b) => a - b);
    report('start', {
      ready_ms: ms(times[Math.floor(times.length / 2)]),
      max_ms: ms(times[times.length - 1]),
      cold_ms: ms(coldMs),
      runs: RUNS,
    });
  } finally {
    dir.remove();
  }
}

if (require.main === module) {
  startBenchmark().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
