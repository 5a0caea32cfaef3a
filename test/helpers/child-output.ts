import type { ChildProcess } from 'node:child_process';

export interface ChildOutput {
  /** Everything the child wrote to stdout and stderr so far. */
  text(): string;
  /** Resolves with the output once `pattern` appears after offset `since`; rejects on exit or timeout, with the output's tail. */
  waitFor(pattern: RegExp, options: { timeoutMs: number; since?: number }): Promise<string>;
}

/** Collects a child's stdout and stderr, so a test can wait for a line instead of sleeping. */
export function childOutput(child: ChildProcess, name: string): ChildOutput {
  let output = '';
  const listeners = new Set<() => void>();
  const receive = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((notify) => notify());
  };
  child.stdout!.on('data', receive);
  child.stderr!.on('data', receive);
  return {
    text: () => output,
    waitFor: (pattern, { timeoutMs, since = 0 }) =>
      new Promise((resolve, reject) => {
        const matches = () => pattern.test(output.slice(since));
        const done = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
          if (error) reject(error);
          else resolve(output);
        };
        const check = () => {
          if (matches()) done();
        };
        // The last lines may still be in the pipe when 'exit' fires: look once more before giving up.
        const onExit = () =>
          setImmediate(() =>
            matches() ? done() : done(new Error(`${name} exited before ${pattern}:\n${output.slice(-3000)}`)),
          );
        const timer = setTimeout(
          () => done(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${output.slice(-3000)}`)),
          timeoutMs,
        );
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
  };
}
