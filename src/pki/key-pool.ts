import { KeyPair, generateRsaKeyPair } from './keys';

export type KeySource = () => Promise<KeyPair>;

interface Waiter {
  resolve(key: KeyPair): void;
  reject(error: unknown): void;
}

/**
 * RSA-2048 generation is a random prime search (60–400 ms here) and is nearly all of an issue's
 * latency. The pool keeps `depth` keys generating ahead on libuv's threads, so a request usually
 * finds one ready and a burst uses every core. Keys live in this process's memory only, like any
 * key mid-issuance, and each is handed out exactly once.
 */
export class KeyPool {
  private readonly ready: KeyPair[] = [];
  private readonly waiters: Waiter[] = [];
  private inflight = 0;

  constructor(
    private readonly depth = 2,
    private readonly generate: KeySource = () => generateRsaKeyPair(),
  ) {}

  readonly take: KeySource = () => {
    const key = this.ready.shift();
    const promise = key
      ? Promise.resolve(key)
      : new Promise<KeyPair>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.fill();
    return promise;
  };

  /** Start generating now, e.g. at start-up, so the first request does not wait. */
  warm(): void {
    this.fill();
  }

  private fill(): void {
    while (this.ready.length + this.inflight < this.depth + this.waiters.length) {
      this.inflight++;
      this.generate().then(
        (key) => {
          this.inflight--;
          const waiter = this.waiters.shift();
          if (waiter) waiter.resolve(key);
          else this.ready.push(key);
        },
        (error: unknown) => {
          this.inflight--;
          this.waiters.shift()?.reject(error);
        },
      );
    }
  }
}
