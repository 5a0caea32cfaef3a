import { createHash } from 'node:crypto';
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import type {
  AgentHeartbeat,
  AgentRegistry,
  Alert,
  AlertSink,
  AppliedCrl,
  ConnectionLogRead,
  CrlDistribution,
  DistributedCrl,
  EndpointHealth,
  EndpointLease,
  LiveCrl,
  SessionKill,
  SessionKillQueue,
  ShippedLog,
  VpnEndpoint,
  VpnSession,
} from '../../src/ports';
import type { AgentLog } from '../../src/ports';
import { onLines } from './lines';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The distribution as the table keeps it: every published CRL, the newest first on `get()`, and what was applied. */
export class MemoryCrlDistribution implements CrlDistribution {
  readonly published: DistributedCrl[] = [];
  readonly reports: { endpoint: string; applied: AppliedCrl }[] = [];
  /** Make the next `get` fail, as an unreachable table does. */
  failing: Error | undefined;

  async publish(endpoint: string, crl: { number: bigint; pem: string }, at: Date): Promise<boolean> {
    const newest = await this.get(endpoint);
    if (newest && BigInt(newest.number) > crl.number) return false;
    this.put({ endpoint, number: String(crl.number), pem: crl.pem, sha256: sha256(crl.pem), publishedAt: at });
    return true;
  }

  /** Store exactly this (a garbled PEM, a wrong hash), as a broken or hostile writer could. */
  put(crl: DistributedCrl): void {
    this.published.push(crl);
  }

  async get(endpoint: string, number?: bigint): Promise<DistributedCrl | undefined> {
    if (this.failing) throw this.failing;
    const mine = this.published.filter((crl) => crl.endpoint === endpoint);
    return number === undefined ? mine.at(-1) : mine.find((crl) => crl.number === String(number));
  }

  async newest(endpoint: string): Promise<Pick<DistributedCrl, 'number' | 'sha256'> | undefined> {
    if (this.failing) throw this.failing;
    const newest = this.published.filter((crl) => crl.endpoint === endpoint).at(-1);
    return newest && { number: newest.number, sha256: newest.sha256 };
  }

  async reportApplied(endpoint: string, applied: AppliedCrl): Promise<void> {
    this.reports.push({ endpoint, applied });
  }

  async applied(endpoint: string): Promise<AppliedCrl | undefined> {
    return this.reports.filter((report) => report.endpoint === endpoint).at(-1)?.applied;
  }
}

export class MemorySessionKillQueue implements SessionKillQueue {
  readonly kills: SessionKill[] = [];
  private next = 1;

  async request(
    endpoint: string,
    sessions: { connectionId: string; commonName?: string }[],
    actor: string,
    at: Date,
  ): Promise<SessionKill[]> {
    const made = sessions.map((session): SessionKill => ({
      id: `kill-${this.next++}`,
      endpoint,
      ...session,
      requestedBy: actor,
      requestedAt: at,
      state: 'pending',
      attempts: 0,
    }));
    this.kills.push(...made);
    return made;
  }

  async pending(endpoint: string): Promise<SessionKill[]> {
    return this.kills.filter((kill) => kill.endpoint === endpoint && kill.state === 'pending');
  }

  async get(endpoint: string, ids: string[]): Promise<SessionKill[]> {
    return this.kills.filter((kill) => kill.endpoint === endpoint && ids.includes(kill.id));
  }

  async settle(kill: SessionKill, outcome: { state: 'done' | 'gone' }, at: Date): Promise<void> {
    Object.assign(this.find(kill), { state: outcome.state, settledAt: at, attempts: kill.attempts + 1 });
  }

  async failed(kill: SessionKill, error: string, _at: Date): Promise<void> {
    const stored = this.find(kill);
    Object.assign(stored, { lastError: error, attempts: stored.attempts + 1 });
  }

  private find(kill: SessionKill): SessionKill {
    const stored = this.kills.find((candidate) => candidate.id === kill.id);
    if (!stored) throw new Error(`no kill ${kill.id}`);
    return stored;
  }
}

export class MemoryAgentRegistry implements AgentRegistry {
  readonly beats: AgentHeartbeat[] = [];
  private readonly silent = new Map<string, boolean>();

  async beat(heartbeat: AgentHeartbeat): Promise<void> {
    this.beats.push(heartbeat);
  }

  async list(): Promise<AgentHeartbeat[]> {
    const newest = new Map<string, AgentHeartbeat>();
    for (const beat of this.beats) newest.set(beat.agentId, beat);
    return [...newest.values()];
  }

  async serving(endpoint: string): Promise<AgentHeartbeat | undefined> {
    return this.beats
      .filter((beat) => beat.endpoints.some((report) => report.endpoint === endpoint && report.acting !== false))
      .at(-1);
  }

  async markSilent(agentId: string, silent: boolean): Promise<boolean> {
    const changed = (this.silent.get(agentId) ?? false) !== silent;
    this.silent.set(agentId, silent);
    return changed;
  }

  private readonly alerted = new Map<string, boolean>();

  async markAlerted(subject: string, alerted: boolean): Promise<boolean> {
    const changed = (this.alerted.get(subject) ?? false) !== alerted;
    this.alerted.set(subject, alerted);
    return changed;
  }
}

/** A lease on a clock the test moves: one holder at a time, renewable by its holder, free once it lapses. */
export class MemoryEndpointLease implements EndpointLease {
  private readonly held = new Map<string, { holder: string; until: number }>();
  failing: Error | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(endpoint: string, holder: string, ttlMs: number): Promise<boolean> {
    if (this.failing) throw this.failing;
    const current = this.held.get(endpoint);
    if (current && current.holder !== holder && current.until > this.now()) return false;
    this.held.set(endpoint, { holder, until: this.now() + ttlMs });
    return true;
  }

  async release(endpoint: string, holder: string): Promise<void> {
    if (this.held.get(endpoint)?.holder === holder) this.held.delete(endpoint);
  }

  holder(endpoint: string): string | undefined {
    const current = this.held.get(endpoint);
    return current && current.until > this.now() ? current.holder : undefined;
  }
}

export class MemoryShippedLog implements ShippedLog {
  readonly shipped: { endpoint: string; hour: Date; read: Partial<ConnectionLogRead> }[] = [];

  async ship(
    endpoint: string,
    hour: Date,
    read: Pick<ConnectionLogRead, 'attempts' | 'events' | 'malformed' | 'ignored' | 'truncated'>,
  ): Promise<void> {
    this.shipped.push({ endpoint, hour, read });
  }

  async read(): Promise<ConnectionLogRead> {
    throw new Error('the agent never reads shipped logs');
  }
}

/** An OpenVPN endpoint in memory: a CRL "file", live sessions, and switches for faults. */
export class FakeOpenVpnEndpoint implements VpnEndpoint {
  readonly kind = 'openvpn' as const;
  crlPem: string | undefined;
  readonly crlWrites: string[] = [];
  sessions: VpnSession[] = [];
  /** Sessions the server refuses to kill (answers ERROR while they stay). */
  readonly unkillable = new Set<string>();
  /** When set, every management operation fails with it (the server is down). */
  managementDown: Error | undefined;
  health: () => Promise<EndpointHealth> = async () => ({ ok: true, detail: 'answers' });

  constructor(readonly key = 'openvpn:office') {}

  async importCrl(pem: string): Promise<void> {
    this.crlPem = pem;
    this.crlWrites.push(pem);
  }

  async exportCrl(): Promise<LiveCrl> {
    return this.crlPem === undefined ? {} : { pem: this.crlPem, status: 'active' };
  }

  async listSessions(): Promise<VpnSession[]> {
    if (this.managementDown) throw this.managementDown;
    return [...this.sessions];
  }

  async terminateSessions(connectionIds: string[]): Promise<string[]> {
    if (this.managementDown) throw this.managementDown;
    const ended = connectionIds.filter(
      (id) => !this.unkillable.has(id) && this.sessions.some((session) => session.connectionId === id),
    );
    this.sessions = this.sessions.filter((session) => !ended.includes(session.connectionId));
    return ended;
  }

  async clientConfiguration(): Promise<string> {
    return 'client\nremote 127.0.0.1 1194 udp\n';
  }

  async tlsCryptKey(): Promise<string | undefined> {
    return '-----BEGIN OpenVPN Static key V1-----\n…\n-----END OpenVPN Static key V1-----\n';
  }
}

export class RecordingLog implements AgentLog {
  readonly lines: { level: 'info' | 'warn' | 'error'; message: string; error?: string }[] = [];

  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }

  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }

  error(message: string, error?: unknown): void {
    this.lines.push({ level: 'error', message, ...(error instanceof Error && { error: error.message }) });
  }

  at(level: 'info' | 'warn' | 'error'): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

export class RecordingAlerts implements AlertSink {
  readonly sent: Alert[] = [];

  async send(alert: Alert): Promise<void> {
    this.sent.push(alert);
  }
}

/** A clock the test sets. */
export class TestClock {
  constructor(public at = new Date('2026-12-04T12:34:56Z')) {}
  now = () => new Date(this.at);
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}

const BANNER = ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info";

/** A management interface that answers every command with SUCCESS and records it; `drop()` cuts the live connection, as a server restart does. */
export async function fakeManagement() {
  const commands: string[] = [];
  const peers = new Set<Socket>();
  const server: Server = createServer((socket) => {
    peers.add(socket);
    socket.on('close', () => peers.delete(socket));
    socket.on('error', () => undefined);
    socket.write(`${BANNER}\r\n`);
    onLines(socket, (line) => {
      commands.push(line.trim());
      socket.write(line.startsWith('pid') ? 'SUCCESS: pid=42\r\n' : 'SUCCESS: done\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    commands,
    connections: () => peers.size,
    ask: (cid: number, commonName: string) =>
      [...peers].forEach((peer) =>
        peer.write(
          [
            `>CLIENT:CONNECT,${cid},0`,
            `>CLIENT:ENV,common_name=${commonName}`,
            '>CLIENT:ENV,untrusted_ip=203.0.113.9',
            '>CLIENT:ENV,END',
          ]
            .map((line) => `${line}\r\n`)
            .join(''),
        ),
      ),
    drop: () => [...peers].forEach((peer) => peer.destroy()),
    close: () =>
      new Promise<void>((resolve) => {
        [...peers].forEach((peer) => peer.destroy());
        server.close(() => resolve());
      }),
  };
}
