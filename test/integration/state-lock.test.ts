import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LOCK_FILE } from '../../src/local/lock';
import { tempDir } from '../helpers/tools';

const ROOT = join(__dirname, '..', '..');
const ROUNDS = 12;

interface Contender {
  child: ChildProcess;
  /** The next line it prints. */
  next(): Promise<string>;
  send(command: string): void;
}

function contender(stateDir: string): Contender {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/lock-contender.ts', stateDir], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  return {
    child,
    next: () => {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a lock contender did not answer within 20 s')), 20_000);
        waiting.push((answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
      });
    },
    send: (command) => child.stdin!.write(`${command}\n`),
  };
}

/** A pid that is certainly not running: a process that has already exited. */
async function deadPid(): Promise<number> {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.once('exit', resolve));
  return dead.pid!;
}

// Any number of runs: three at once on a stale lock was the case the lock's former link-and-rename takeover left open.
describe.each([
  ['two', 2],
  ['three', 3],
])('npm start lock: %s runs starting at the same moment', (_count, count) => {
  let dir: ReturnType<typeof tempDir>;
  let contenders: Contender[] = [];

  beforeAll(async () => {
    dir = tempDir('state-lock');
    contenders = Array.from({ length: count }, () => contender(dir.path));
    for (const one of contenders) expect(await one.next()).toBe('ready');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      contenders.map(async ({ child }) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin!.end();
        if (child.exitCode === null) await exited;
      }),
    );
    dir.remove();
  });

  const lockFile = () => join(dir.path, LOCK_FILE);
  const setups: Record<string, () => Promise<void>> = {
    'no lock': async () => undefined,
    'a stale lock from a dead run': async () =>
      writeFileSync(lockFile(), JSON.stringify({ pid: await deadPid(), children: [] })),
    'an unreadable lock': async () => writeFileSync(lockFile(), 'not json'),
  };

  it.each(Object.keys(setups))(
    `with %s, exactly one takes it, ${ROUNDS} times over`,
    async (setup) => {
      for (let round = 0; round < ROUNDS; round += 1) {
        await setups[setup]();
        const at = Date.now() + 50;
        for (const one of contenders) one.send(`go ${at}`);
        const answers = await Promise.all(contenders.map((one) => one.next()));
        const winners = contenders.filter((_, index) => answers[index] === 'won');
        expect({ round, answers }).toEqual({
          round,
          answers: expect.arrayContaining(['won', expect.stringMatching(/^lost: /)]),
        });
        expect(winners).toHaveLength(1);
        for (const loser of answers.filter((answer) => answer !== 'won')) {
          expect(loser).toMatch(
            new RegExp(
              `^lost: Another npm start is running \\(pid ${winners[0].child.pid}\\) on ${dir.path}; .*use a different STATE_DIR`,
            ),
          );
        }
        // The file on disk names the winner, and nothing was left beside it.
        expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(winners[0].child.pid);
        expect(readdirSync(dir.path)).toEqual([LOCK_FILE]);
        winners[0].send('release');
        expect(await winners[0].next()).toBe('released');
      }
    },
    120_000,
  );
});
