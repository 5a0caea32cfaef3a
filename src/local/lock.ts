import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VpnChatopsError } from '../domain/errors';

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

function readLock(path: string): LockFile | 'garbled' | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VpnChatopsError('STATE', `Cannot read the lock file ${path} (${(error as Error).message}): fix its permissions or delete it.`);
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockFile>;
    if (!Number.isInteger(parsed.pid) || (parsed.pid ?? 0) < 1) return 'garbled';
    const children = Array.isArray(parsed.children) ? parsed.children.filter((c) => Number.isInteger(c?.pid) && typeof c?.marker === 'string') : [];
    return { pid: parsed.pid!, startedAt: String(parsed.startedAt ?? ''), children };
  } catch {
    return 'garbled';
  }
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
    const notes: string[] = [];
    const existing = readLock(path);
    if (existing === 'garbled') {
      notes.push(`replaced an unreadable lock file ${path}`);
    } else if (existing) {
      if (existing.pid !== process.pid && alive(existing.pid) && (commandLine(existing.pid) ?? 'node').includes('node')) {
        throw new VpnChatopsError('STATE', `Another npm start is running (pid ${existing.pid}) on ${stateDir}; stop it (Ctrl-C in its terminal, or kill ${existing.pid}) or use a different STATE_DIR.`);
      }
      notes.push(`took over a stale lock from pid ${existing.pid}, a run that did not stop cleanly`);
      notes.push(...(await stopLeftovers(existing.children)));
    }
    const lock = new StateLock(path, notes);
    lock.write();
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

  private write(): void {
    if (this.released) return;
    const lock: LockFile = { pid: process.pid, startedAt: new Date().toISOString(), children: this.children };
    writeFileSync(this.path, `${JSON.stringify(lock, null, 2)}\n`, { mode: 0o600 });
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
    while (alive(child.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(child.pid)) process.kill(child.pid, 'SIGKILL');
    notes.push(`stopped ${child.what} (pid ${child.pid}) left running by that run`);
  }
  return notes;
}
