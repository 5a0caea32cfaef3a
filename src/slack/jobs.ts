import type { RevocationReason } from '../domain/revocation';
import type { RevocationTarget } from '../services/revoke';

/**
 * Slow work handed off by a listener that has already answered Slack (the 3-second rule): on
 * Lambda an asynchronous invocation of the worker, locally the same job in this process.
 * Jobs are plain JSON, and the worker re-checks who may do what when it runs them.
 */
export type Job = (
  | { type: 'issue'; userId: string; teamId?: string; device?: string; csrPem?: string; responseUrl?: string }
  | { type: 'revoke'; actorId: string; target: RevocationTarget; reason: RevocationReason; responseUrl?: string }
  | { type: 'publish-crl'; actorId: string; responseUrl?: string }
  | { type: 'crl-status'; actorId: string; responseUrl: string }
  | { type: 'list'; actorId: string; responseUrl: string }
  | { type: 'logs'; actorId: string; hours: number; responseUrl: string }
  | { type: 'home'; userId: string; page?: number }
  | { type: 'doctor'; actorId: string; responseUrl?: string }
  /** `since` is an ISO time; the CSV goes to the actor's DM. */
  | { type: 'audit-export'; actorId: string; slackId?: string; since: string; responseUrl?: string }
  /** The Renew button of an expiry reminder: a new certificate for the same device as `serial`. */
  | { type: 'renew'; userId: string; teamId?: string; serial: string; responseUrl?: string }
  /** The replacement `serial` has connected: retire the certificate it replaces. */
  | { type: 'retire-replaced'; serial: string }
) & {
  /** Set when the transport may deliver a job twice (Lambda retries async invocations): the worker runs each id once. */
  id?: string;
  /** The click this job answers (see actions/register.ts): held while the job is in flight, released by the worker when it has run. */
  claim?: string;
};

export interface JobQueue {
  enqueue(job: Job): Promise<void>;
}

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
