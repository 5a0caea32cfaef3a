import { performance } from 'node:perf_hooks';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * What `npm start` prints while it starts: a spinner with the elapsed time on a terminal, plain
 * lines when piped (CI logs, tests), a ✔ with how long each part took.
 */
export class Progress {
  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  private get live(): boolean {
    return this.out.isTTY === true;
  }

  step(text: string): void {
    this.out.write(`  ✔ ${text}\n`);
  }

  warn(text: string): void {
    this.out.write(`  ⚠ ${text}\n`);
  }

  /** Run `work` under `label`; `done` turns its result into the ✔ line. */
  async task<T>(label: string, work: () => Promise<T>, done: (result: T) => string): Promise<T> {
    const started = performance.now();
    const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
    let frame = 0;
    let timer: NodeJS.Timeout | undefined;
    if (this.live) {
      const draw = () => this.out.write(`\r\x1b[2K  ${FRAMES[frame++ % FRAMES.length]} ${label}… ${elapsed()}`);
      draw();
      timer = setInterval(draw, 100);
    } else {
      this.out.write(`  … ${label}\n`);
    }
    const clear = () => {
      if (timer) clearInterval(timer);
      if (this.live) this.out.write('\r\x1b[2K');
    };
    try {
      const result = await work();
      clear();
      this.step(`${done(result)} (${elapsed()})`);
      return result;
    } catch (error) {
      clear();
      this.out.write(`  ✖ ${label} failed (${elapsed()})\n`);
      throw error;
    }
  }
}
