import { MINUTE_MS } from '../domain/time';
import type {
  AgentLog,
  AgentRegistry,
  AlertSink,
  AuditLog,
  CertificateStore,
  Clock,
  CrlDistribution,
  EndpointLease,
  HandshakeProbe,
  HandshakeProbeReport,
  SessionKillQueue,
  ShippedLog,
  TimeReference,
} from '../ports';
import type { CaCertificate } from '../pki/ca';
import { CrlSyncMemory, newCrlSyncMemory, syncCrl } from '../services/agent/crl-sync';
import { carryOutKills } from '../services/agent/session-kills';
import { beat } from '../services/agent/heartbeat';
import { ClockWatchMemory, measureClock, newClockWatchMemory } from '../services/agent/clock-watch';
import { shipLogs } from '../services/agent/log-shipping';
import { sweepLocally } from '../services/agent/session-sweep';
import { probeOnThisHost } from '../services/doctor-tls-crypt';
import { Repeater } from './repeater';
import { Approvals, EndpointSetup, ServedEndpoint } from './served-endpoint';

/** The table-side ports the agent meets the bot through. */
export interface AgentStores {
  crlDistribution: CrlDistribution;
  sessionKills: SessionKillQueue;
  agentRegistry: AgentRegistry;
  endpointLease: EndpointLease;
  shippedLog: ShippedLog;
  certificates: CertificateStore;
  audit: AuditLog;
}

export const AGENT_INTERVALS_MS = {
  lease: 10_000,
  crl: 5_000,
  kills: 2_000,
  heartbeat: 15_000,
  logs: 60_000,
  /**
   * Revoke ends the sessions the last heartbeat listed; one opened since, or one the list missed, would
   * otherwise last until TLS renegotiates. The sweep ends every session without an active certificate.
   */
  sweep: 10 * MINUTE_MS,
  /**
   * The unwrapped handshake doctor reads from the heartbeat. Hourly: each probe is one refused attempt from
   * loopback in the server's log, far below the flood rule's 30 an hour.
   */
  handshakeProbe: 60 * MINUTE_MS,
  /**
   * The clock against the time reference: NTP drifts slowly, one request an hour sees it long before the lease fails.
   */
  clock: 60 * MINUTE_MS,
};

/** The first sweep after a start: soon, but not at once, so a crash loop does not sweep every few seconds. */
const FIRST_SWEEP_MS = MINUTE_MS;

/** How long a start waits for a management connection before it goes on without one. */
const LINK_WAIT_MS = 5_000;

export interface AgentOptions {
  agentId: string;
  host: string;
  version: string;
  endpoints: EndpointSetup[];
  stores: AgentStores;
  ca: CaCertificate;
  approvals: Approvals;
  alerts: AlertSink;
  clock: Clock;
  log: AgentLog;
  /** Sends doctor's unwrapped handshake to each server on this host; without it the heartbeat reports none. */
  handshake?: HandshakeProbe;
  /**
   * A clock the agent does not control (Slack's), to measure its own against; without it the heartbeat carries no skew.
   */
  time?: TimeReference;
  /** Three renewals fit in one lease: a single missed one does not hand the endpoint over. */
  leaseTtlMs?: number;
  intervalsMs?: Partial<typeof AGENT_INTERVALS_MS>;
  reconnectBackoffMs?: readonly number[];
}

/** What one endpoint's state is, for `vpnctl agent` to print. */
export interface EndpointState {
  endpoint: string;
  acting: boolean;
  answeringLogins: boolean;
}

/**
 * `vpnctl agent`: on the VPN host, it serves each `openvpn` endpoint the bot reaches only through the
 * table. Per endpoint it holds the lease and, while it does, answers logins over the management
 * interface, writes the CRLs the bot publishes, ends the sessions the bot asks to end, ships the
 * server's log and sweeps sessions daily; a heartbeat says it is alive and what it sees.
 */
export class Agent {
  private readonly served: ServedEndpoint[];
  private readonly crlMemory: CrlSyncMemory = newCrlSyncMemory();
  private readonly repeaters: Repeater[] = [];
  private readonly probes = new Map<string, HandshakeProbeReport>();
  private readonly unhealthySince = new Map<string, Date>();
  private readonly clockMemory: ClockWatchMemory = newClockWatchMemory();
  private readonly intervals: typeof AGENT_INTERVALS_MS;
  private readonly leaseTtlMs: number;

  constructor(private readonly options: AgentOptions) {
    this.intervals = { ...AGENT_INTERVALS_MS, ...options.intervalsMs };
    this.leaseTtlMs = options.leaseTtlMs ?? this.intervals.lease * 3;
    this.served = options.endpoints.map(
      (setup) =>
        new ServedEndpoint({
          setup,
          agentId: options.agentId,
          lease: options.stores.endpointLease,
          leaseTtlMs: this.leaseTtlMs,
          approvals: options.approvals,
          clock: options.clock,
          log: options.log,
          reconnectBackoffMs: options.reconnectBackoffMs,
        }),
    );
  }

  get id(): string {
    return this.options.agentId;
  }

  state(): EndpointState[] {
    return this.served.map((served) => ({
      endpoint: served.key,
      acting: served.acting,
      answeringLogins: served.answeringLogins,
    }));
  }

  /** Run until `stop()`: each loop at its own pace, the lease first so the others find it held. */
  async start(): Promise<void> {
    await this.renewLeases().catch((error: unknown) =>
      this.options.log.error('could not take the endpoint leases; retrying', error),
    );
    await this.linked();
    const every = (what: string, ms: number, task: () => Promise<void>, delayMs = 0) => {
      const repeater = new Repeater(what, ms, task, this.options.log);
      this.repeaters.push(repeater);
      repeater.start(delayMs);
    };
    every('renewing the endpoint leases', this.intervals.lease, () => this.renewLeases(), this.intervals.lease);
    every('the CRL sync', this.intervals.crl, () => this.syncCrls());
    every('carrying out session kills', this.intervals.kills, () => this.carryOutKills());
    every('the heartbeat', this.intervals.heartbeat, () => this.beat());
    every('shipping the connection logs', this.intervals.logs, () => this.shipLogs());
    if (this.options.handshake)
      every('the tls-crypt probe', this.intervals.handshakeProbe, () => this.probeHandshakes());
    if (this.options.time) every('the clock check', this.intervals.clock, () => this.measureClock());
    every(
      'the session sweep',
      this.intervals.sweep,
      () => this.sweep(),
      Math.min(FIRST_SWEEP_MS, this.intervals.sweep),
    );
  }

  /** One round of everything, for `--once`: the lease, the CRL, kills, logs and a heartbeat. */
  async round(): Promise<void> {
    await this.renewLeases();
    await this.linked();
    await this.syncCrls();
    await this.carryOutKills();
    await this.shipLogs();
    // A reference that does not answer costs the heartbeat its skew, not the round (measureClock logs it).
    await this.measureClock();
    await this.beat();
  }

  /** Finish what is under way, close every management connection and hand the leases back. */
  async stop(): Promise<void> {
    await Promise.all(this.repeaters.splice(0).map((repeater) => repeater.stop()));
    await Promise.all(this.served.map((served) => served.stop()));
  }

  /** A moment for the management connections to come up, so the first round and the state printed find them. */
  private async linked(): Promise<void> {
    await Promise.all(this.acting.map((served) => served.linked(LINK_WAIT_MS)));
  }

  private get acting(): ServedEndpoint[] {
    return this.served.filter((served) => served.acting);
  }

  private async renewLeases(): Promise<void> {
    await eachOf(this.served, (served) => served.renewLease());
  }

  private async syncCrls(): Promise<void> {
    const { stores, ca, alerts, clock, agentId, log } = this.options;
    const deps = { distribution: stores.crlDistribution, ca, alerts, clock, agentId, log, memory: this.crlMemory };
    await eachOf(this.acting, async (served) => {
      // A new CRL usually means a revocation: end its sessions now rather than at the next sweep.
      if ((await syncCrl(deps, served.endpoint)).state === 'applied') await this.sweep([served]);
    });
  }

  private async carryOutKills(): Promise<void> {
    const { stores, clock, log } = this.options;
    await eachOf(
      this.acting,
      async (served) => void (await carryOutKills({ kills: stores.sessionKills, clock, log }, served.endpoint)),
    );
  }

  private async shipLogs(): Promise<void> {
    const { stores, clock, log } = this.options;
    await eachOf(this.acting, async (served) => {
      if (served.log) await shipLogs({ shipped: stores.shippedLog, clock, log }, served.log, served.logShipping);
    });
  }

  /** One unwrapped handshake per acting endpoint's server, kept for the heartbeats until the next round. */
  private async probeHandshakes(): Promise<void> {
    const { handshake, clock } = this.options;
    await eachOf(this.acting, async (served) => {
      const report = await probeOnThisHost(handshake!, served.endpoint, clock);
      if (report) this.probes.set(served.key, report);
    });
  }

  private async measureClock(): Promise<void> {
    const { clock, time, log } = this.options;
    if (time) await measureClock({ clock, time, log }, this.clockMemory);
  }

  private async beat(): Promise<void> {
    const { stores, clock, agentId, host, version, log } = this.options;
    await beat(
      {
        registry: stores.agentRegistry,
        clock,
        agentId,
        host,
        version,
        log,
        probes: this.probes,
        unhealthySince: this.unhealthySince,
        clockSkewS: this.clockMemory.skewS,
        leaseErrors: new Map(
          this.served.flatMap((served) => (served.leaseError ? [[served.key, served.leaseError] as const] : [])),
        ),
      },
      this.acting.map((served) => served.endpoint),
      this.served.filter((served) => !served.acting).map((served) => served.endpoint),
    );
  }

  private async sweep(served: readonly ServedEndpoint[] = this.acting): Promise<void> {
    const { stores, clock, agentId, log } = this.options;
    await sweepLocally(
      { certificates: stores.certificates, audit: stores.audit, clock, actor: `agent:${agentId}`, log },
      served.map((each) => each.endpoint),
    );
  }
}

/** Every endpoint gets its turn even when one fails; the first failure is reported after all ran. */
async function eachOf<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map(work));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}
