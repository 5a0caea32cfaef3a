import { randomUUID } from 'node:crypto';
import { OpenVpnConnectBridge } from '../adapters/openvpn/connect-bridge';
import type { ManagementClient } from '../adapters/openvpn/management';
import type { ConnectDecision, ConnectRequest } from '../domain/approval';
import { messageOf } from '../domain/errors';
import { sleep } from '../domain/time';
import type { AgentLog, Clock, EndpointLease, GrowingLogFile, VpnEndpoint } from '../ports';
import type { LeaseError } from '../services/agent/heartbeat';
import { newLogShippingState, type LogShippingState } from '../services/agent/log-shipping';
import { ManagementLink } from './management-link';

/** One `openvpn` endpoint as the agent sees it, before the runtime has a management connection for it. */
export interface EndpointSetup {
  key: string;
  management: string;
  managementPasswordFile?: string;
  /** The local adapter, sending its management commands through `shared` while the agent holds a connection. */
  endpoint(shared: () => ManagementClient | undefined): VpnEndpoint;
  log?: GrowingLogFile;
}

export interface Approvals {
  decide(request: ConnectRequest): Promise<ConnectDecision>;
  reauth(commonName: string): Promise<boolean>;
}

export interface ServedEndpointOptions {
  setup: EndpointSetup;
  agentId: string;
  lease: EndpointLease;
  leaseTtlMs: number;
  approvals: Approvals;
  clock: Clock;
  log: AgentLog;
  /** Tests shorten the reconnect pauses. */
  reconnectBackoffMs?: readonly number[];
}

/**
 * One endpoint the agent serves: it acts (answers logins, writes the CRL, ends sessions) only while it
 * holds the endpoint's lease, so of two agents for one server exactly one acts; the other stands by and
 * takes over when the lease lapses.
 */
export class ServedEndpoint {
  /**
   * The lease is held per process: two processes with one agent id (a cloned host, `--once` beside the
   * service) must not both act, nor may one hand back the other's lease.
   */
  private readonly holder: string;

  readonly key: string;
  readonly endpoint: VpnEndpoint;
  readonly log: GrowingLogFile | undefined;
  /** Where the next log-shipping round starts, kept in this process only: a restart reads the last day again. */
  readonly logShipping: LogShippingState = newLogShippingState();
  private link: ManagementLink | undefined;
  private bridge: OpenVpnConnectBridge | undefined;
  private heldUntil = 0;
  private standbyLogged = false;
  private failedLease: LeaseError | undefined;

  constructor(private readonly options: ServedEndpointOptions) {
    this.holder = `${options.agentId}#${randomUUID().slice(0, 8)}`;
    this.key = options.setup.key;
    this.endpoint = options.setup.endpoint(() => this.link?.client);
    this.log = options.setup.log;
  }

  /** Holding the lease, and sure of it: CRL writes, kills and the sweep run only then. */
  get acting(): boolean {
    return this.link !== undefined && this.options.clock.now().getTime() < this.heldUntil;
  }

  /**
   * Why the lease could not be taken, since the first failure in a row; the heartbeat says so, since the endpoint
   * otherwise looks held by another agent while nobody answers its logins.
   */
  get leaseError(): LeaseError | undefined {
    return this.failedLease;
  }

  /** Whether the management connection is up (the approval bridge answers logins). */
  get answeringLogins(): boolean {
    return this.link?.client !== undefined;
  }

  /** Resolves once the management connection is up, or after `timeoutMs`. */
  async linked(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.link !== undefined && this.link.client === undefined && Date.now() < until) await sleep(50);
  }

  /** Acquire or renew the lease, and start or stop acting accordingly. */
  async renewLease(): Promise<void> {
    const { lease, leaseTtlMs, clock, log } = this.options;
    const asked = clock.now().getTime();
    // When the table cannot be reached the link stays: its bridge then denies each login with a message (the
    // decision needs the table too), where a closed link would leave clients waiting out their hand-window.
    // OpenVPN serves one management client at a time, so a second agent could not answer them meanwhile anyway.
    let held: boolean;
    try {
      held = await lease.acquire(this.key, this.holder, leaseTtlMs);
    } catch (error) {
      this.failedLease = { error: messageOf(error), since: this.failedLease?.since ?? new Date(asked) };
      throw error;
    }
    this.failedLease = undefined;
    if (held) {
      this.heldUntil = asked + leaseTtlMs;
      this.standbyLogged = false;
      if (!this.link) this.actFor();
    } else if (this.link) {
      await this.standDown('another agent holds its lease now');
    } else if (!this.standbyLogged) {
      this.standbyLogged = true;
      log.info(`${this.key}: another agent holds the lease; standing by to take over when it lapses`);
    }
  }

  /** Stop acting and hand the lease back, so a standby agent takes over at once rather than after the TTL. */
  async stop(): Promise<void> {
    if (!this.link) return;
    await this.standDown('the agent is stopping');
    await this.options.lease
      .release(this.key, this.holder)
      .catch((error: unknown) =>
        this.options.log.error(
          `${this.key}: could not release the lease; another agent takes over when it lapses`,
          error,
        ),
      );
  }

  private actFor(): void {
    const { approvals, log } = this.options;
    log.info(`${this.key}: holding the lease; acting for this endpoint`);
    this.link = new ManagementLink({
      endpoint: this.key,
      address: this.options.setup.management,
      passwordFile: this.options.setup.managementPasswordFile,
      log,
      backoffMs: this.options.reconnectBackoffMs,
      up: (management) => {
        this.bridge = new OpenVpnConnectBridge({
          management,
          endpointId: this.key,
          decide: approvals.decide,
          reauth: approvals.reauth,
          log: (message, error) => log.error(message, error),
        });
        this.bridge.start();
      },
      down: () => {
        this.bridge?.stop();
        this.bridge = undefined;
      },
    });
    this.link.start();
  }

  private async standDown(why: string): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.heldUntil = 0;
    this.options.log.warn(`${this.key}: no longer acting for this endpoint: ${why}`);
    await link?.stop();
  }
}
