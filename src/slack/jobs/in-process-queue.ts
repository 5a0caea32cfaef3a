import type { Job, JobQueue } from '../../ports';

/** Runs jobs in this process after the current request has been answered; `idle()` lets tests wait. */
export class InProcessJobQueue implements JobQueue {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly run: (job: Job) => Promise<void>) {}

  async enqueue(job: Job): Promise<void> {
    const task = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run(job));
    const tracked = task.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }
}
