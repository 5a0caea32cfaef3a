import { VpnChatopsError, messageOf } from '../../domain/errors';
import { sleep } from '../../domain/time';
import { parseCrl } from '../../pki/crl';
import { checkTlsCryptV2ServerKey } from '../../pki/tls-crypt-v2';
import type {
  AgentEndpointReport,
  AgentHeartbeat,
  AgentRegistry,
  Clock,
  CrlDistribution,
  EndpointHealth,
  LiveCrl,
  ServerCertificate,
  SessionKill,
  SessionKillQueue,
  TlsCryptV2KeyStore,
  VpnEndpoint,
  VpnSession,
} from '../../ports';
import { openvpnClientBase } from '../openvpn/client-base';

/** The agent beats every 15 s: six missed beats and what it last said is no longer the endpoint's state. */
export const HEARTBEAT_STALE_MS = 90_000;

export interface AgentServedEndpointOptions {
  /** Short name: the endpoint's key is `openvpn:<name>`, as on the agent's side. */
  name: string;
  /** "host port [proto]" that clients connect to. */
  remote: string;
  caPem: string;
  /** The endpoint's configuration names a tls-crypt key, so a profile without one cannot connect. */
  tlsCrypt: boolean;
  /**
   * Given when the server runs tls-crypt-v2: where its server key's stored copy is (beside the CA). Not the table:
   * the agent does not ship it (it would let the table's readers mint client keys for any certificate).
   */
  tlsCryptV2Keys?: TlsCryptV2KeyStore;
  distribution: CrlDistribution;
  kills: SessionKillQueue;
  registry: AgentRegistry;
  clock: Clock;
  /** How long terminateSessions waits for the agent to carry its kills out; they stay queued after. */
  killWaitMs?: number;
  /** How often it looks meanwhile. */
  killPollMs?: number;
  /**
   * The server runs beside the bot (npm start's own, its agent in the same process): CRL status then says
   * when it does not answer, as its agent last reported, not only which CRL the agent applied.
   */
  runsBeside?: boolean;
}

const SETTLED: ReadonlySet<SessionKill['state']> = new Set(['done', 'gone']);

/**
 * A self-hosted OpenVPN server that `vpnctl agent` serves on its own host. The bot never reaches that
 * host: it publishes CRLs and queues session kills in the table, and reads back what the agent applied,
 * carried out and reported in its heartbeat.
 */
export class AgentServedEndpoint implements VpnEndpoint {
  readonly key: string;
  readonly kind = 'openvpn' as const;

  constructor(private readonly options: AgentServedEndpointOptions) {
    this.key = `openvpn:${options.name}`;
  }

  async importCrl(pem: string): Promise<void> {
    const number = parseCrl(pem, undefined, { entries: false }).number;
    if (number === undefined)
      throw this.failure('the CRL has no CRL number, and the agent applies only numbered CRLs newer than its own');
    const stored = await this.table('publishing the CRL', () =>
      this.options.distribution.publish(this.key, { number, pem }, this.options.clock.now()),
    );
    if (!stored) {
      const newest = await this.table('reading the newest CRL', () => this.options.distribution.get(this.key));
      throw this.failure(
        `CRL #${number} was not published: the table already holds #${newest?.number ?? 'a higher number'} for the agent, and it never takes an older one. Publish again to number past it`,
      );
    }
  }

  /** The CRL the agent wrote, `pending` while a newer one waits for it: what the server's crl-verify reads. */
  async exportCrl(): Promise<LiveCrl> {
    const { distribution } = this.options;
    const [applied, newest] = await this.table('reading the CRLs', () =>
      Promise.all([distribution.applied(this.key), distribution.get(this.key)]),
    );
    // By content, not number: a new CA starts its numbers again, and the table takes that CRL as the newest.
    const waiting = newest !== undefined && newest.sha256 !== applied?.sha256;
    const status = waiting ? 'pending' : 'active';
    if (applied === undefined) return newest ? { pem: undefined, status } : {};
    // Mostly the agent holds the newest one: then it is already read.
    const held =
      newest && !waiting
        ? newest
        : await this.table('reading the applied CRL', () => distribution.get(this.key, BigInt(applied.number)));
    // An applied CRL no longer in the table (the agent kept it long after newer ones came), or another CA's
    // under the same number: what the agent holds cannot be shown.
    if (held === undefined || held.sha256 !== applied.sha256) return newest ? { pem: undefined, status } : {};
    return { pem: held.pem, status };
  }

  /** From the newest heartbeat, never from a stale one: a session it lists may have ended long ago. */
  async listSessions(): Promise<VpnSession[]> {
    const { heartbeat, report } = await this.liveReport();
    if (this.ageMs(heartbeat) > HEARTBEAT_STALE_MS)
      throw this.failure(
        `the agent on ${heartbeat.host} has been silent since ${iso(heartbeat.at)}, so its session list is not live: check \`systemctl status vpnctl-agent\` there`,
      );
    // The agent lists sessions only while its check of the server passes: an empty list then means unknown.
    if (!report.health.ok)
      throw this.failure(
        `the agent on ${heartbeat.host} cannot read the sessions (${report.health.detail})${report.health.fix ? `: ${report.health.fix}` : ''}`,
      );
    // A revoke that ended only the listed sessions would report success and leave the others up: refuse instead.
    if (report.sessionsTruncated)
      throw this.failure(
        `the agent on ${heartbeat.host} has more live sessions than its heartbeat (one DynamoDB item) holds; it listed only ${report.sessions.length}, so the bot cannot tell which sessions a certificate has. The agent itself ends every session of a revoked certificate when it writes the new CRL, and at its sweep every 10 minutes`,
      );
    return report.sessions.map((session) => ({
      ...session,
      ...(session.connectedAt !== undefined && { connectedAt: new Date(session.connectedAt) }),
    }));
  }

  /**
   * Queues the kills under `actor` (who asked; a caller that names nobody is a revoke) and waits (bounded)
   * for the agent to carry them out. Returns the ids it ended or found gone; the rest stay queued and the
   * agent ends them when it can.
   */
  async terminateSessions(connectionIds: string[], actor = 'system:revoke'): Promise<string[]> {
    if (connectionIds.length === 0) return [];
    const { kills, clock } = this.options;
    const known = await this.options.registry.serving(this.key).then(
      (heartbeat) => reportOf(heartbeat, this.key)?.sessions ?? [],
      () => [],
    );
    const commonName = new Map(known.map((session) => [session.connectionId, session.commonName]));
    // The queue hands back the kill still pending for a connection, so a revoke's retry waits for that one.
    const requested = await this.table('queueing the kills', () =>
      kills.request(
        this.key,
        [...new Set(connectionIds)].map((connectionId) => ({ connectionId, commonName: commonName.get(connectionId) })),
        actor,
        clock.now(),
      ),
    );
    const ids = requested.map((kill) => kill.id);
    const deadline = Date.now() + (this.options.killWaitMs ?? 10_000);
    for (;;) {
      const states = await this.table('reading the kills back', () => kills.get(this.key, ids));
      const ended = new Set(states.filter((kill) => SETTLED.has(kill.state)).map((kill) => kill.connectionId));
      if (ended.size === ids.length || Date.now() >= deadline) return connectionIds.filter((id) => ended.has(id));
      await sleep(this.options.killPollMs ?? 250);
    }
  }

  async clientConfiguration(): Promise<string> {
    return openvpnClientBase({ remote: this.options.remote, caPem: this.options.caPem });
  }

  /** As the agent last reported it: the key changes only when the server's does, and profiles carry it anyway. */
  async tlsCryptKey(): Promise<string | undefined> {
    const heartbeat = await this.table('reading the heartbeat', () => this.options.registry.serving(this.key));
    const key = heartbeat && reportOf(heartbeat, this.key)?.tlsCryptKey;
    if (key === undefined && this.options.tlsCrypt)
      throw this.failure(
        heartbeat
          ? `the agent on ${heartbeat.host} has not reported the endpoint's tls-crypt key (tlsCryptKeyFile), and a profile without it cannot connect: check that the agent can read that file`
          : 'no agent has reported its tls-crypt key (tlsCryptKeyFile) yet, and a profile without it cannot connect: start `vpnctl agent` on the VPN host',
      );
    return key;
  }

  /** Fails closed: a server that requires tls-crypt-v2 drops a profile without its key, so none is issued. */
  async tlsCryptV2ServerKey(): Promise<string | undefined> {
    const keys = this.options.tlsCryptV2Keys;
    if (keys === undefined) return undefined;
    const serverKey = await keys.load(this.key);
    const fix = `run \`vpnctl endpoint tls-crypt-v2 import ${this.options.name}\` on the VPN host (docs/self-hosted.md#per-client-keys-tls-crypt-v2)`;
    if (serverKey === undefined)
      throw this.failure(
        `the server requires tls-crypt-v2 (tlsCryptV2ServerKeyFile) and no copy of its server key is stored in ${keys.location}, so no profile can be issued for it: ${fix}`,
      );
    try {
      checkTlsCryptV2ServerKey(serverKey);
    } catch {
      throw this.failure(`the tls-crypt-v2 server key stored in ${keys.location} is not a valid server key: ${fix}`);
    }
    return serverKey;
  }

  async serverCertificate(): Promise<ServerCertificate | undefined> {
    const heartbeat = await this.table('reading the heartbeat', () => this.options.registry.serving(this.key));
    const certificate = heartbeat && reportOf(heartbeat, this.key)?.serverCertificate;
    return certificate && { ...certificate, notAfter: new Date(certificate.notAfter) };
  }

  async enforcerHealth(): Promise<EndpointHealth | undefined> {
    return this.options.runsBeside ? this.health() : undefined;
  }

  async health(): Promise<EndpointHealth> {
    const heartbeat = await this.table('reading the heartbeat', () => this.options.registry.serving(this.key));
    const report = heartbeat && reportOf(heartbeat, this.key);
    if (!heartbeat || !report)
      return {
        ok: false,
        detail: 'no agent has reported for this endpoint ("servedBy": "agent" in VPN_ENDPOINTS)',
        fix: 'Start `vpnctl agent` on the VPN host.',
      };
    const age = Math.round(this.ageMs(heartbeat) / 1000);
    if (this.ageMs(heartbeat) > HEARTBEAT_STALE_MS)
      return {
        ok: false,
        detail: `the agent on ${heartbeat.host} (version ${heartbeat.version}) has been silent since ${iso(heartbeat.at)} (${age} s)`,
        fix: `Start \`vpnctl agent\` on ${heartbeat.host} (\`systemctl status vpnctl-agent\` says why it stopped).`,
      };
    const served = `the agent on ${heartbeat.host} (version ${heartbeat.version}, last heartbeat ${Math.max(0, age)} s ago)`;
    const { health } = report;
    return {
      ok: health.ok,
      detail: `${served} reports: ${health.detail}`,
      ...(health.management && { management: health.management }),
      ...(!health.ok && health.fix !== undefined && { fix: `On ${heartbeat.host}: ${health.fix}` }),
    };
  }

  private async liveReport(): Promise<{ heartbeat: AgentHeartbeat; report: AgentEndpointReport }> {
    const heartbeat = await this.table('reading the heartbeat', () => this.options.registry.serving(this.key));
    const report = heartbeat && reportOf(heartbeat, this.key);
    if (!heartbeat || !report)
      throw this.failure(
        'no agent has reported for this endpoint ("servedBy": "agent" in VPN_ENDPOINTS): start `vpnctl agent` on the VPN host',
      );
    return { heartbeat, report };
  }

  private ageMs(heartbeat: AgentHeartbeat): number {
    return this.options.clock.now().getTime() - new Date(heartbeat.at).getTime();
  }

  /** The table is the only way to the agent: a failure there says so, and what it was doing. */
  private async table<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof VpnChatopsError) throw error;
      throw this.failure(`${what} in the table failed (${messageOf(error)}): check that DynamoDB answers`, error);
    }
  }

  private failure(problem: string, cause?: unknown): VpnChatopsError {
    return new VpnChatopsError('ENDPOINT', `${this.key}: ${problem}`, { cause });
  }
}

function reportOf(heartbeat: AgentHeartbeat | undefined, endpoint: string): AgentEndpointReport | undefined {
  return heartbeat?.endpoints.find((report) => report.endpoint === endpoint);
}

/** A heartbeat read from JSON may carry its time as a string. */
const iso = (at: Date | string) => new Date(at).toISOString();
