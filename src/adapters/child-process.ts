import type { ChildProcess } from 'node:child_process';

/**
 * A stop function for a child program: SIGTERM, then SIGKILL after `graceMs` if it is still there;
 * resolves once it has exited. Calling it again, or after the child exited by itself, is harmless.
 */
export function stopperFor(child: ChildProcess, graceMs = 5_000): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killer);
  };
}
