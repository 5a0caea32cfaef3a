import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startNpmStart } from '../helpers/npm-start';
import { freeStackPorts, isRunning, lockedChildren, stackEnv } from '../helpers/stack';
import { describeWith, tempDir } from '../helpers/tools';

const HAS_JAVA = process.env.TEST_DYNAMODB_ENDPOINT !== undefined;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWith({ 'Java 17+ (DynamoDB Local)': HAS_JAVA }, 'npm start under faults', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('stack-faults');
  });
  afterEach(() => dir.remove());

  /**
   * How a Ctrl-C reaches the app: the terminal signals the whole group (npm, the shell, the app), npm
   * forwards its copy, and on a loaded machine the app may not run for a while. Each way, one Ctrl-C
   * must stop it cleanly: no "forced", every child stopped in order, the lock released.
   */
  const ways: [string, (app: number, ctrlC: () => void) => Promise<void>][] = [
    ['as is', async (_app, ctrlC) => ctrlC()],
    [
      'while the app gets no CPU for 300 ms',
      async (app, ctrlC) => {
        process.kill(app, 'SIGSTOP');
        try {
          ctrlC();
          await pause(300);
        } finally {
          // Gone already if a runner killed it meanwhile (the tsx CLI does, when the app does not confirm within 60 ms).
          if (isRunning(app)) process.kill(app, 'SIGCONT');
        }
      },
    ],
    [
      'with a second copy 50 ms later (a runner forwarding it)',
      async (app, ctrlC) => {
        ctrlC();
        await pause(50);
        process.kill(app, 'SIGINT');
      },
    ],
  ];
  it.each(ways)('one Ctrl-C stops npm start cleanly, %s', async (_way, press) => {
    const state = join(dir.path, 'state');
    const stack = startNpmStart(stackEnv(state, await freeStackPorts()));
    let children: number[] = [];
    try {
      await stack.waitFor(/Press Ctrl-C to stop/);
      children = lockedChildren(state);
      expect(children.length).toBeGreaterThan(0);
      await press(stack.app(), stack.ctrlC);
      await stack.exited(90_000);
      const output = stack.output();
      expect(output).not.toMatch(/forced/);
      expect(output).toMatch(/✔ stopped; state kept for the next npm start/);
      expect(existsSync(join(state, 'npm-start.lock'))).toBe(false);
      expect(children.filter(isRunning)).toEqual([]);
    } finally {
      await stack.exited(1);
      for (const pid of children.filter(isRunning)) process.kill(pid, 'SIGKILL');
    }
  }, 180_000);
});
