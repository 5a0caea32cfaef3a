import { messageOf } from '../domain/errors';
import { Rounds, repeatRounds } from '../domain/repeat';
import type { AgentLog } from '../ports';

/**
 * Runs `task` now and then `everyMs` after each run ends, never two at once. A fault is logged when it
 * starts or changes and once when it clears, not every round: a DynamoDB outage is one line, not thousands.
 */
export class Repeater {
  private rounds: Rounds | undefined;
  private stopped = false;
  private fault: string | undefined;

  constructor(
    private readonly what: string,
    private readonly everyMs: number,
    private readonly task: () => Promise<void>,
    private readonly log: AgentLog,
  ) {}

  start(delayMs = 0): void {
    if (this.stopped) return;
    this.rounds = repeatRounds(() => this.run(), { firstMs: delayMs, everyMs: this.everyMs, keepsProcessAlive: true });
  }

  /** Waits for a run under way: what it started (a CRL write, a kill) finishes and is recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.rounds?.stop();
  }

  private async run(): Promise<void> {
    try {
      await this.task();
      if (this.fault !== undefined) this.log.info(`${this.what}: working again`);
      this.fault = undefined;
    } catch (error) {
      const message = messageOf(error);
      if (message !== this.fault) this.log.error(`${this.what} failed; retrying every ${this.everyMs / 1000} s`, error);
      this.fault = message;
    }
  }
}
