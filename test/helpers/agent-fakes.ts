import { createHash, randomUUID } from 'node:crypto';
import { HOUR_MS } from '../../src/domain/time';
import { parseCrl } from '../../src/pki/crl';
import type {
  AgentHeartbeat,
  AgentRegistry,
  AppliedCrl,
  ConnectionLogRead,
  CrlDistribution,
  DistributedCrl,
  SessionKill,
  SessionKillQueue,
  ShippedLog,
} from '../../src/ports';

/** The table between bot and agent, in memory: the same promises as the DynamoDB stores, none of their cost. */

export class MemoryCrlDistribution implements CrlDistribution {
  private readonly crls = new Map<string, Map<bigint, DistributedCrl>>();
  private readonly newestOf = new Map<string, { number: bigint; issuer: string }>();
  private readonly appliedCrls = new Map<string, AppliedCrl>();

  async publish(endpoint: string, crl: { number: bigint; pem: string }, at: Date): Promise<boolean> {
    const issuer = parseCrl(crl.pem, undefined, { entries: false }).issuer;
    const newest = this.newestOf.get(endpoint);
    // A new CA numbers its CRLs from the start again.
    if (newest !== undefined && newest.issuer === issuer && newest.number > crl.number) return false;
    const stored = this.crls.get(endpoint) ?? new Map<bigint, DistributedCrl>();
    stored.set(crl.number, {
      endpoint,
      number: crl.number.toString(),
      pem: crl.pem,
      sha256: createHash('sha256').update(crl.pem).digest('hex'),
      publishedAt: at,
    });
    this.crls.set(endpoint, stored);
    this.newestOf.set(endpoint, { number: crl.number, issuer });
    return true;
  }

  async get(endpoint: string, number?: bigint): Promise<DistributedCrl | undefined> {
    const wanted = number ?? this.newestOf.get(endpoint)?.number;
    const crl = wanted === undefined ? undefined : this.crls.get(endpoint)?.get(wanted);
    return crl && { ...crl };
  }

  async newest(endpoint: string): Promise<Pick<DistributedCrl, 'number' | 'sha256'> | undefined> {
    const newest = await this.get(endpoint);
    return newest && { number: newest.number, sha256: newest.sha256 };
  }

  async reportApplied(endpoint: string, applied: AppliedCrl): Promise<void> {
    this.appliedCrls.set(endpoint, { ...applied });
  }

  async applied(endpoint: string): Promise<AppliedCrl | undefined> {
    const applied = this.appliedCrls.get(endpoint);
    return applied && { ...applied };
  }

  /** What the store's expiry does to a superseded CRL after a while. */
  forget(endpoint: string, number: bigint): void {
    this.crls.get(endpoint)?.delete(number);
  }
}

export class MemorySessionKillQueue implements SessionKillQueue {
  readonly kills: SessionKill[] = [];

  async request(
    endpoint: string,
    sessions: { connectionId: string; commonName?: string }[],
    actor: string,
    at: Date,
  ): Promise<SessionKill[]> {
    const requested = sessions.map((session): SessionKill => {
      // As in the table: while a connection's kill is pending, asking again returns that kill.
      const queued = this.kills.find(
        (kill) => kill.endpoint === endpoint && kill.connectionId === session.connectionId && kill.state === 'pending',
      );
      if (queued) return queued;
      const kill: SessionKill = {
        id: randomUUID(),
        endpoint,
        connectionId: session.connectionId,
        ...(session.commonName !== undefined && { commonName: session.commonName }),
        requestedBy: actor,
        requestedAt: at,
        state: 'pending',
        attempts: 0,
      };
      this.kills.push(kill);
      return kill;
    });
    return requested.map((kill) => ({ ...kill }));
  }

  async pending(endpoint: string): Promise<SessionKill[]> {
    return this.kills
      .filter((kill) => kill.endpoint === endpoint && kill.state === 'pending')
      .sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime())
      .map((kill) => ({ ...kill }));
  }

  async get(endpoint: string, ids: string[]): Promise<SessionKill[]> {
    return this.kills
      .filter((kill) => kill.endpoint === endpoint && ids.includes(kill.id))
      .map((kill) => ({ ...kill }));
  }

  async settle(kill: SessionKill, outcome: { state: 'done' | 'gone' }, at: Date): Promise<void> {
    Object.assign(this.find(kill), { state: outcome.state, settledAt: at });
  }

  async failed(kill: SessionKill, error: string): Promise<void> {
    const stored = this.find(kill);
    stored.attempts += 1;
    stored.lastError = error;
  }

  private find(kill: SessionKill): SessionKill {
    const stored = this.kills.find((candidate) => candidate.id === kill.id);
    if (!stored) throw new Error(`no kill ${kill.id}`);
    return stored;
  }
}

export class MemoryAgentRegistry implements AgentRegistry {
  private readonly heartbeats = new Map<string, AgentHeartbeat>();
  private readonly silent = new Set<string>();

  async beat(heartbeat: AgentHeartbeat): Promise<void> {
    this.heartbeats.set(heartbeat.agentId, structuredClone(heartbeat));
  }

  async list(): Promise<AgentHeartbeat[]> {
    return [...this.heartbeats.values()].map((heartbeat) => structuredClone(heartbeat));
  }

  async serving(endpoint: string): Promise<AgentHeartbeat | undefined> {
    const newest = [...this.heartbeats.values()]
      .filter((heartbeat) => heartbeat.endpoints.some((report) => report.endpoint === endpoint))
      .sort((a, b) => b.at.getTime() - a.at.getTime())[0];
    return newest && structuredClone(newest);
  }

  async markSilent(agentId: string, silent: boolean): Promise<boolean> {
    if (this.silent.has(agentId) === silent) return false;
    if (silent) this.silent.add(agentId);
    else this.silent.delete(agentId);
    return true;
  }

  private readonly alerted = new Set<string>();

  async markAlerted(subject: string, alerted: boolean): Promise<boolean> {
    if (this.alerted.has(subject) === alerted) return false;
    if (alerted) this.alerted.add(subject);
    else this.alerted.delete(subject);
    return true;
  }
}

type ShippedHour = Pick<ConnectionLogRead, 'attempts' | 'events' | 'malformed' | 'ignored' | 'truncated'>;

export class MemoryShippedLog implements ShippedLog {
  private readonly hours = new Map<string, { endpoint: string; hour: Date; read: ShippedHour }>();

  async ship(endpoint: string, hour: Date, read: ShippedHour): Promise<void> {
    // The agent re-ships the current hour as it grows: the newest shipment replaces the last.
    this.hours.set(`${endpoint} ${hour.toISOString()}`, { endpoint, hour, read: structuredClone(read) });
  }

  async read(endpoint: string, from: Date, to: Date): Promise<ConnectionLogRead> {
    const out: ConnectionLogRead = { attempts: [], events: 0, malformed: 0, ignored: 0, unrecognisedFields: new Set() };
    for (const shipped of this.hours.values()) {
      const start = shipped.hour.getTime();
      if (shipped.endpoint !== endpoint || start + HOUR_MS <= from.getTime() || start >= to.getTime()) continue;
      const { read } = shipped;
      out.attempts.push(
        ...read.attempts.filter((attempt) => attempt.at >= from.getTime() && attempt.at < to.getTime()),
      );
      out.events += read.events;
      out.malformed += read.malformed;
      out.ignored += read.ignored;
      if (read.truncated) out.truncated = read.truncated;
    }
    return out;
  }
}
