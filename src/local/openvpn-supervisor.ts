import type { LocalOpenVpn } from './openvpn-server';
import { messageOf } from '../domain/errors';

/** Waits before each restart in a row; the last one repeats. */
const BACKOFF_MS: readonly number[] = [1_000, 2_000, 5_000, 10_000, 30_000];
/** A server that ran this long before it stopped was healthy: the backoff starts over. */
const STABLE_MS = 60_000;
/** Starts in a row that fail before npm start gives up on the server and says so. */
const MAX_FAILED_STARTS = 5;

export interface SupervisorHooks {
  start(): Promise<LocalOpenVpn>;
  /** It stopped by itself. (The agent's management link notices on its own and reconnects once it is back.) */
  down(server: LocalOpenVpn): void;
  warn(line: string): void;
  step(line: string): void;
  backoffMs?: readonly number[];
}

/**
 * Keeps npm start's OpenVPN server running: when it stops by itself it is started again after a
 * growing pause, and after several failed starts in a row npm start gives up on it with a message
 * that says what to do, rather than leaving logins failing in silence.
 */
export class OpenVpnSupervisor {
  private current: LocalOpenVpn | undefined;
  private stopping = false;
  private attempt = 0;
  private restarting: Promise<void> | undefined;
  private cancelPause: (() => void) | undefined;

  private constructor(private readonly hooks: SupervisorHooks) {}

  static async start(hooks: SupervisorHooks): Promise<OpenVpnSupervisor> {
    const supervisor = new OpenVpnSupervisor(hooks);
    supervisor.attach(await hooks.start());
    return supervisor;
  }

  /** The server running now, if any. */
  get server(): LocalOpenVpn | undefined {
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelPause?.();
    await this.restarting;
    await this.current?.stop();
  }

  private attach(server: LocalOpenVpn): void {
    this.current = server;
    const since = Date.now();
    server.onExit((summary) => {
      if (this.stopping) return;
      this.current = undefined;
      this.hooks.down(server);
      if (Date.now() - since >= STABLE_MS) this.attempt = 0;
      this.restarting = this.restart(summary).finally(() => (this.restarting = undefined));
    });
  }

  private async restart(summary: string): Promise<void> {
    const backoff = this.hooks.backoffMs ?? BACKOFF_MS;
    let why = summary;
    for (let failed = 0; !this.stopping;) {
      const pause = backoff[Math.min(this.attempt, backoff.length - 1)];
      this.attempt += 1;
      this.hooks.warn(
        `${why}. Restarting it in ${pause / 1000} s; logins through the local endpoint fail until it is back.`,
      );
      await this.pause(pause);
      if (this.stopping) return;
      try {
        const server = await this.hooks.start();
        if (this.stopping) return void (await server.stop());
        this.hooks.step(`OpenVPN is running again (pid ${server.pid})`);
        this.attach(server);
        return;
      } catch (error) {
        failed += 1;
        why = `OpenVPN did not start again: ${messageOf(error)}`;
        if (failed >= MAX_FAILED_STARTS) {
          this.hooks.warn(
            `${why}. Gave up after ${failed} tries: logins through the local endpoint fail until npm start is restarted; stop it (Ctrl-C), fix what the log says and start it again.`,
          );
          return;
        }
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.cancelPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
