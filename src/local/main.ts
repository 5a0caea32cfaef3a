import { performance } from 'node:perf_hooks';
import { Config, loadConfig } from '../config';
import { ADMINS_CHANNEL } from './slack-standin/workspace';
import { VpnChatopsError, messageOf } from '../domain/errors';
import { stateDir } from '../state';
import { Prepared, Started, prepareStack } from './prepare';
import { Progress } from './progress';
import type { RunningStack } from '../composition/local-stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const out = (line = '') => process.stdout.write(`${line}\n`);

/** A failure as one line that says what to do; a stack trace only for what we did not foresee. */
function report(error: unknown): void {
  if (error instanceof VpnChatopsError) {
    console.error(`\n✖ ${error.message}`);
    return;
  }
  const message = messageOf(error);
  console.error(
    `\n✖ npm start failed unexpectedly: ${message}\n  Every part it had started was stopped. Details for a bug report:\n${error instanceof Error ? error.stack : ''}`,
  );
}

/**
 * Copies of one Ctrl-C arrive within this window: the terminal signals the whole process group, and
 * npm (like other runners) forwards the signal to its child as well. A person's second Ctrl-C comes later.
 */
const SAME_CTRL_C_MS = 1_000;

/** Ctrl-C (or SIGTERM) once: stop cleanly. Again, after the first one's copies: kill the children and leave at once. */
function onStopSignal(stop: () => void, force: () => void): void {
  let first: number | undefined;
  const handle = () => {
    const now = performance.now();
    if (first === undefined) {
      first = now;
      stop();
    } else if (now - first > SAME_CTRL_C_MS) force();
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    // The console has an admin channel of its own, so ISSUE_POLICY=request runs without ADMIN_CHANNEL_ID.
    config = loadConfig({ ...process.env, ADMIN_CHANNEL_ID: process.env.ADMIN_CHANNEL_ID || ADMINS_CHANNEL });
  } catch (error) {
    report(error);
    process.exitCode = 1;
    return;
  }
  const began = performance.now();
  out(`vpn-chatops · npm start · state in ${stateDir(config)}\n`);

  let prepared: Prepared | undefined;
  let stack: RunningStack | undefined;
  let stopRequested = false;
  let resolveStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStop = resolve));
  onStopSignal(
    () => {
      stopRequested = true;
      out('\n  … stopping (Ctrl-C again to force)');
      resolveStop();
    },
    () => {
      out('  ✖ forced: killing the child processes');
      prepared?.lock.killChildrenNow();
      process.exit(130);
    },
  );
  // Whatever happens, no child outlives us (they run in their own process groups so Ctrl-C reaches us first).
  process.on('exit', () => prepared?.lock.killChildrenNow());

  const progress = new Progress();
  const started = new Started();
  try {
    prepared = await prepareStack(config, progress, started);
    // Loaded only now (the AWS SDK clients, Bolt: seconds), while DynamoDB Local's JVM boots.
    const { startStack } = await import('../composition/local-stack');
    stack = await startStack(config, progress, prepared);
  } catch (error) {
    await started.stop();
    report(error);
    process.exitCode = 1;
    return;
  }
  const running = stack;
  process.on('uncaughtException', (error) => {
    report(error);
    process.exitCode = 1;
    void running.stop().finally(() => process.exit(1));
  });

  if (!stopRequested) {
    const width = Math.max(...running.where.map(([what]) => what.length));
    out(`\nReady in ${((performance.now() - began) / 1000).toFixed(1)} s.\n`);
    for (const [what, where] of running.where) out(`  ${what.padEnd(width)}  ${where}`);
    out(`\n${running.hint}`);
    out('Press Ctrl-C to stop.');
  }
  await stopped;
  await running.stop();
  out('  ✔ stopped; state kept for the next npm start');
  // Open keep-alive sockets or timers from libraries must not hold the process after a clean stop.
  process.exit(process.exitCode ?? 0);
}

void main();
