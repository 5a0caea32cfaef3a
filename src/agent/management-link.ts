import { ManagementClient, ManagementCommandError } from '../adapters/openvpn/management';
import { messageOf } from '../domain/errors';
import type { AgentLog } from '../ports';

/**
 * Waits before each reconnect in a row, doubling up to a cap: a restart is back within seconds, a long outage costs
 * little.
 */
export const RECONNECT_BACKOFF_MS: readonly number[] = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];
/** How often a quiet connection is checked: ManagementClient notices a drop only when a command is sent. */
const PROBE_MS = 2_000;

export interface ManagementLinkOptions {
  /** The endpoint's key, for log lines. */
  endpoint: string;
  address: string;
  passwordFile?: string;
  log: AgentLog;
  /** Connected (again): attach what needs the connection (the approval bridge). */
  up(client: ManagementClient): void;
  /** The connection was lost or closed: detach it. */
  down(client: ManagementClient): void;
  backoffMs?: readonly number[];
  probeMs?: number;
  timeoutMs?: number;
}

/**
 * The one management connection an agent holds to its server, kept open: OpenVPN asks only the client
 * connected at that moment about new logins, so after a server restart it reconnects at once and then
 * with a growing pause. Connection faults (refused, wrong password) are logged when they change.
 */
export class ManagementLink {
  private current: ManagementClient | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastFault: string | undefined;

  constructor(private readonly options: ManagementLinkOptions) {}

  /** The connection while it is up. */
  get client(): ManagementClient | undefined {
    return this.current;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const backoff = this.options.backoffMs ?? RECONNECT_BACKOFF_MS;
    const { endpoint, address, log } = this.options;
    for (let attempt = 0; !this.stopped;) {
      let client: ManagementClient;
      try {
        client = await ManagementClient.connect(address, {
          passwordFile: this.options.passwordFile,
          timeoutMs: this.options.timeoutMs,
        });
      } catch (error) {
        const pause = backoff[Math.min(attempt, backoff.length - 1)];
        attempt += 1;
        const fault = messageOf(error);
        if (fault !== this.lastFault)
          log.error(
            `${endpoint}: cannot connect to the management interface (logins are not answered until it is back); retrying, at most every ${backoff[backoff.length - 1] / 1000} s`,
            error,
          );
        this.lastFault = fault;
        await this.pause(pause);
        continue;
      }
      if (this.stopped) {
        await client.close();
        return;
      }
      attempt = 0;
      this.lastFault = undefined;
      log.info(
        `${endpoint}: connected to the management interface at ${address}${client.passwordProtected ? ' (password given)' : ''}; answering logins`,
      );
      this.current = client;
      this.options.up(client);
      const lost = await this.untilLost(client);
      this.current = undefined;
      this.options.down(client);
      await client.close();
      if (lost !== undefined) log.warn(`${endpoint}: lost the management connection (${lost}); reconnecting`);
    }
  }

  /** Resolves with why the connection was lost, or undefined when the link was stopped. */
  private async untilLost(client: ManagementClient): Promise<string | undefined> {
    while (!this.stopped) {
      await this.pause(this.options.probeMs ?? PROBE_MS);
      if (this.stopped) return undefined;
      try {
        await client.command('pid');
      } catch (error) {
        if (!(error instanceof ManagementCommandError)) return messageOf(error);
      }
    }
    return undefined;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
