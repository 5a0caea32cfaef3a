/**
 * A moment some work must be over by, e.g. Client VPN's answer to a login (30 s, not adjustable).
 * Every outside call made for that work gets `signal()`, so nothing it waits on outlives the deadline.
 */
export class Deadline {
  constructor(
    readonly at: Date,
    private readonly now: () => Date = () => new Date(),
  ) {}

  remainingMs(): number {
    return Math.max(0, this.at.getTime() - this.now().getTime());
  }

  /** Aborts when the deadline passes: a fresh signal per call, each with its own unreferenced timer. */
  signal(): AbortSignal {
    return AbortSignal.timeout(Math.max(1, this.remainingMs()));
  }
}

export const OUT_OF_TIME = Symbol('out of time');

/**
 * `work`'s result, or OUT_OF_TIME once the deadline passes first. The work itself goes on (its own
 * calls are bounded by the same deadline's signal); only the caller stops waiting for it.
 */
export function settleBy<T>(work: Promise<T>, deadline: Deadline): Promise<T | typeof OUT_OF_TIME> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(OUT_OF_TIME), deadline.remainingMs());
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
