import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import properLockfile from 'proper-lockfile';
import { VpnChatopsError } from '../domain/errors';
import { sleep } from '../domain/time';

/** A child program of the stack, recorded so that a later run can clean up after a crash. */
export interface ChildRecord {
  pid: number;
  /** What it is, for messages: "DynamoDB Local", "OpenVPN". */
  what: string;
  /** A string its command line contains, so a recycled pid is never mistaken for it. */
  marker: string;
}

interface LockFile {
  pid: number;
  startedAt: string;
  children: ChildRecord[];
}

export const LOCK_FILE = 'npm-start.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means the state dir is in use.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of `pid`, where /proc shows it (Linux); undefined elsewhere or when it is gone. */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** Whether `child` is still running as the program we started (not a recycled pid). */
function stillOurs(child: ChildRecord): boolean {
  if (!alive(child.pid)) return false;
  const line = commandLine(child.pid);
  return line === undefined ? false : line.includes(child.marker);
}

function readLockText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VpnChatopsError(
      'STATE',
      `Cannot read the lock file ${path} (${(error as Error).message}): fix its permissions or delete it.`,
    );
  }
}

function parseLock(text: string): LockFile | 'garbled' {
  try {
    const parsed = JSON.parse(text) as Partial<LockFile>;
    if (!Number.isInteger(parsed.pid) || (parsed.pid ?? 0) < 1) return 'garbled';
    const children = Array.isArray(parsed.children)
      ? parsed.children.filter((c) => Number.isInteger(c?.pid) && typeof c?.marker === 'string')
      : [];
    return { pid: parsed.pid!, startedAt: String(parsed.startedAt ?? ''), children };
  } catch {
    return 'garbled';
  }
}

function anotherRun(stateDir: string, pid: number | undefined): VpnChatopsError {
  const who = pid === undefined ? '' : ` (pid ${pid})`;
  const stop =
    pid === undefined ? 'stop it (Ctrl-C in its terminal)' : `stop it (Ctrl-C in its terminal, or kill ${pid})`;
  return new VpnChatopsError(
    'STATE',
    `Another npm start is running${who} on ${stateDir}; ${stop} or use a different STATE_DIR.`,
  );
}

/**
 * Only crashing within the few milliseconds of a start-up leaves the start-up lock behind; after this long it is taken
 * over.
 */
const START_UP_STALE_MS = 5_000;
/**
 * Wait out another run's start-up, or a start-up lock a crash left behind: about 9 s in all, longer than it takes to go
 * stale.
 */
const START_UP_RETRIES = { retries: 40, minTimeout: 25, maxTimeout: 250 };

/**
 * Runs `work` while no other `npm start` on this state dir is starting: reading the lock file, deciding
 * whether its owner is gone and writing our own is then one step, so of any number of runs starting
 * together exactly one takes the lock. `work` is synchronous, so the start-up lock is held for milliseconds.
 */
async function whileStarting<T>(path: string, stateDir: string, work: () => T): Promise<T> {
  let done: () => Promise<void>;
  try {
    done = await properLockfile.lock(path, { realpath: false, stale: START_UP_STALE_MS, retries: START_UP_RETRIES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw anotherRun(stateDir, holder(path));
    throw new VpnChatopsError(
      'STATE',
      `Cannot create the lock file ${path} (${(error as Error).message}): fix the permissions of ${dirname(path)}.`,
    );
  }
  try {
    return work();
  } finally {
    await done();
  }
}

/** The pid the lock file names, for a message; undefined when there is none or it is unreadable. */
function holder(path: string): number | undefined {
  const lock = parseLock(readLockText(path) ?? '');
  return lock === 'garbled' ? undefined : lock.pid;
}

/**
 * The state dir belongs to one `npm start` at a time: two would share DynamoDB Local's files and
 * the OpenVPN ports. The lock records our pid and every child we start; a lock whose owner is gone
 * (a crashed or killed run) is taken over, and children it left running are stopped.
 */
export class StateLock {
  private readonly children: ChildRecord[] = [];
  private released = false;

  private constructor(
    readonly path: string,
    /** What the takeover of a stale lock did, for the progress output. */
    readonly notes: string[],
  ) {}

  static async acquire(stateDir: string): Promise<StateLock> {
    const path = join(stateDir, LOCK_FILE);
    const lock = new StateLock(path, []);
    const leftovers = await whileStarting(path, stateDir, () => lock.claim(stateDir));
    await lock.stopLeftovers(leftovers);
    return lock;
  }

  /** Record a child as soon as it runs, so a crash right after still leaves a trace. */
  addChild(child: ChildRecord): void {
    this.children.push(child);
    this.write();
  }

  removeChild(pid: number): void {
    const index = this.children.findIndex((child) => child.pid === pid);
    if (index >= 0) this.children.splice(index, 1);
    this.write();
  }

  /** SIGKILL every recorded child at once: for a forced exit, where there is no time to stop them in order. */
  killChildrenNow(): void {
    for (const child of this.children) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    rmSync(this.path, { force: true });
  }

  /**
   * Takes the lock file unless a live run holds it. What a stale lock's run left running becomes ours
   * to stop, and is recorded as ours until it is stopped, so that a crash meanwhile still leaves a trace.
   */
  private claim(stateDir: string): ChildRecord[] {
    const seen = readLockText(this.path);
    const existing = seen === undefined ? undefined : parseLock(seen);
    if (existing === 'garbled') {
      this.notes.push(`replaced an unreadable lock file ${this.path}`);
    } else if (existing !== undefined) {
      if (existing.pid !== process.pid && alive(existing.pid) && (commandLine(existing.pid) ?? 'node').includes('node'))
        throw anotherRun(stateDir, existing.pid);
      this.notes.push(`took over a stale lock from pid ${existing.pid}, a run that did not stop cleanly`);
      this.children.push(...existing.children.filter(stillOurs));
    }
    try {
      this.write();
    } catch (error) {
      throw new VpnChatopsError(
        'STATE',
        `Cannot create the lock file ${this.path} (${(error as Error).message}): fix the permissions of ${dirname(this.path)}.`,
      );
    }
    return [...this.children];
  }

  /** SIGTERM, then SIGKILL after a grace period, for programs a crashed run left behind. */
  private async stopLeftovers(leftovers: ChildRecord[]): Promise<void> {
    for (const child of leftovers) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        this.removeChild(child.pid);
        continue;
      }
      const deadline = Date.now() + 5_000;
      while (alive(child.pid) && Date.now() < deadline) await sleep(100);
      if (alive(child.pid)) process.kill(child.pid, 'SIGKILL');
      this.notes.push(`stopped ${child.what} (pid ${child.pid}) left running by that run`);
      this.removeChild(child.pid);
    }
  }

  /** Written aside and renamed into place, so that nobody ever reads it empty or half-written. */
  private write(): void {
    if (this.released) return;
    const fresh = `${this.path}.${process.pid}.new`;
    const lock: LockFile = { pid: process.pid, startedAt: new Date().toISOString(), children: this.children };
    writeFileSync(fresh, `${JSON.stringify(lock, null, 2)}\n`, { mode: 0o600 });
    renameSync(fresh, this.path);
  }
}
