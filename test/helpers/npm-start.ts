import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { childOutput } from './child-output';

const ROOT = join(__dirname, '..', '..');

export interface NpmStart {
  /** npm itself, the leader of its own process group, as in a terminal. */
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The node process running src/local/main.ts (under npm, a shell and whatever runner the script names). */
  app(): number;
  /** Ctrl-C in the terminal: SIGINT to every process of the foreground group. */
  ctrlC(): void;
  /** The exit code or signal, or undefined when it had to be killed after `timeoutMs`. */
  exited(timeoutMs: number): Promise<string | undefined>;
}

function stat(pid: number): { ppid: number; pgrp: number } | undefined {
  try {
    // The command name in parentheses may hold spaces: the fields after its closing parenthesis are fixed.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return { ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The real `npm start` (package.json's script, whatever runner it names), in its own process group. */
export function startNpmStart(env: NodeJS.ProcessEnv): NpmStart {
  const child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output = childOutput(child, 'npm start');
  const exit = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  const group = child.pid!;
  return {
    child,
    output: output.text,
    waitFor: (pattern, timeoutMs = 120_000) => output.waitFor(pattern, { timeoutMs }),
    app: () => {
      const running = readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .map(Number)
        .filter((pid) => stat(pid)?.pgrp === group && commandLine(pid).includes('src/local/main.ts'));
      // A runner such as the tsx CLI names the script too: the app is the innermost process that does.
      const app = running.filter((pid) => !running.some((other) => stat(other)?.ppid === pid));
      if (app.length !== 1)
        throw new Error(`expected one app process in group ${group}, found ${app.join(', ') || 'none'}`);
      return app[0];
    },
    ctrlC: () => process.kill(-group, 'SIGINT'),
    exited: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
      const result = await Promise.race([exit, timeout]);
      clearTimeout(timer);
      if (result === undefined) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // Already gone.
        }
        await exit;
      }
      return result;
    },
  };
}
