import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
    throw new VpnChatopsError('STATE', `Cannot read the lock file ${path} (${(error as Error).message}): fix its permissions or delete it.`);
  }
}

function parseLock(text: string): LockFile | 'garbled' {
  try {
    const parsed = JSON.parse(text) as Partial<LockFile>;
    if (!Number.isInteger(parsed.pid) || (parsed.pid ?? 0) < 1) return 'garbled';
    const children = Array.isArray(parsed.children) ? parsed.children.filter((c) => Number.isInteger(c?.pid) && typeof c?.marker === 'string') : [];
    return { pid: parsed.pid!, startedAt: String(parsed.startedAt ?? ''), children };
  } catch {
    return 'garbled';
  }
}

function anotherRun(stateDir: string, pid: number | undefined): VpnChatopsError {
  const who = pid === undefined ? '' : ` (pid ${pid})`;
  const stop = pid === undefined ? 'stop it (Ctrl-C in its terminal)' : `stop it (Ctrl-C in its terminal, or kill ${pid})`;
  return new VpnChatopsError('STATE', `Another npm start is running${who} on ${stateDir}; ${stop} or use a different STATE_DIR.`);
}

/**
 * The state dir belongs to one `npm start` at a time: two would share DynamoDB Local's files and
 * the OpenVPN ports. The lock records our pid and every child we start; a lock whose owner is gone
 * (a crashed or killed run) is taken over, and children it left running are stopped first.
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
    if (lock.create()) return lock;
    const seen = readLockText(path);
    // Gone between the create and the read: its owner just released it; one more try decides.
    if (seen === undefined) return lock.createOrRefuse(stateDir);
    const existing = parseLock(seen);
    if (existing !== 'garbled' && existing.pid !== process.pid && alive(existing.pid) && (commandLine(existing.pid) ?? 'node').includes('node')) {
      throw anotherRun(stateDir, existing.pid);
    }
    lock.notes.push(existing === 'garbled' ? `replaced an unreadable lock file ${path}` : `took over a stale lock from pid ${existing.pid}, a run that did not stop cleanly`);
    if (existing !== 'garbled') lock.notes.push(...(await stopLeftovers(existing.children)));
    lock.removeStale(seen, stateDir);
    return lock.createOrRefuse(stateDir);
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
   * The lock file, created only if there is none: of two runs starting together, exactly one gets it.
   * Written aside and linked into place (link, like open with 'wx', fails if the name exists) so that
   * nobody ever reads it empty or half-written and takes a live lock for a garbled, stale one.
   */
  private create(): boolean {
    const fresh = this.writeAside();
    try {
      linkSync(fresh, this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new VpnChatopsError('STATE', `Cannot create the lock file ${this.path} (${(error as Error).message}): fix the permissions of ${dirname(this.path)}.`);
    } finally {
      rmSync(fresh, { force: true });
    }
  }

  private writeAside(): string {
    const fresh = `${this.path}.${process.pid}.new`;
    const lock: LockFile = { pid: process.pid, startedAt: new Date().toISOString(), children: this.children };
    writeFileSync(fresh, `${JSON.stringify(lock, null, 2)}\n`, { mode: 0o600 });
    return fresh;
  }

  private createOrRefuse(stateDir: string): StateLock {
    if (this.create()) return this;
    const winner = parseLock(readLockText(this.path) ?? '');
    throw anotherRun(stateDir, winner === 'garbled' ? undefined : winner.pid);
  }

  /**
   * Moves the stale lock aside under a name of our own, which only one run can do, and deletes it. A run
   * that raced us there may have replaced it with its own fresh lock meanwhile: that one is put back. (A third
   * run creating one in the instant it is away would also win: three starts at once on a stale lock are not covered.)
   */
  private removeStale(seen: string, stateDir: string): void {
    const aside = `${this.path}.stale-${process.pid}`;
    try {
      renameSync(this.path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const moved = readLockText(aside);
    if (moved !== seen) {
      try {
        linkSync(aside, this.path);
      } catch (error) {
        // EEXIST: a third run holds the lock by now; either way, it is not ours.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        rmSync(aside, { force: true });
      }
      const winner = parseLock(moved ?? '');
      throw anotherRun(stateDir, winner === 'garbled' ? undefined : winner.pid);
    }
    rmSync(aside, { force: true });
  }

  /** Replaced in one step (rename), for the same reason the first write is linked into place. */
  private write(): void {
    if (this.released) return;
    renameSync(this.writeAside(), this.path);
  }
}

/** SIGTERM, then SIGKILL after a grace period, for programs a crashed run left behind. */
async function stopLeftovers(children: ChildRecord[]): Promise<string[]> {
  const notes: string[] = [];
  for (const child of children.filter(stillOurs)) {
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + 5_000;
    while (alive(child.pid) && Date.now() < deadline) await sleep(100);
    if (alive(child.pid)) process.kill(child.pid, 'SIGKILL');
    notes.push(`stopped ${child.what} (pid ${child.pid}) left running by that run`);
  }
  return notes;
}
