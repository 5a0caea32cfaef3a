import type { EndpointHealth, LiveCrl, VpnEndpoint, VpnSession } from '../../src/ports';

export interface EndpointHooks {
  beforeImport?: (pem: string, call: number) => Promise<void> | void;
  beforeExport?: (call: number) => Promise<void> | void;
  sessions?: () => Promise<VpnSession[]> | VpnSession[];
}

/**
 * Wraps a real endpoint to count calls and inject delays or failures at chosen moments;
 * everything else goes to the real adapter.
 */
export class InstrumentedEndpoint implements VpnEndpoint {
  readonly imports: string[] = [];
  readonly terminated: string[] = [];
  private exportCalls = 0;
  private importCalls = 0;

  constructor(
    private readonly inner: VpnEndpoint,
    private readonly hooks: EndpointHooks = {},
  ) {}

  get key() {
    return this.inner.key;
  }
  get kind() {
    return this.inner.kind;
  }

  async importCrl(pem: string): Promise<void> {
    await this.hooks.beforeImport?.(pem, ++this.importCalls);
    await this.inner.importCrl(pem);
    this.imports.push(pem);
  }
  async exportCrl(): Promise<LiveCrl> {
    await this.hooks.beforeExport?.(++this.exportCalls);
    return this.inner.exportCrl();
  }
  /** With a `sessions` hook, a session this endpoint terminated is gone, as on a real server. */
  async listSessions(): Promise<VpnSession[]> {
    if (!this.hooks.sessions) return this.inner.listSessions();
    return (await this.hooks.sessions()).filter((session) => !this.terminated.includes(session.connectionId));
  }
  async terminateSessions(ids: string[], actor?: string): Promise<string[]> {
    if (!this.hooks.sessions) return this.inner.terminateSessions(ids, actor);
    this.terminated.push(...ids);
    return ids;
  }
  clientConfiguration(): Promise<string> {
    return this.inner.clientConfiguration();
  }
  async tlsCryptKey(): Promise<string | undefined> {
    return this.inner.tlsCryptKey?.();
  }
  health(): Promise<EndpointHealth> {
    return this.inner.health();
  }
}

/** Deterministic PRNG (mulberry32) so a "10 % failures" run is the same every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
