import { AgentServedEndpoint, AgentServedEndpointOptions } from '../../src/adapters/agent/endpoint';
import { ShippedConnectionLog } from '../../src/adapters/agent/connection-log';
import { VpnChatopsError } from '../../src/domain/errors';
import type { CertificateAuthority } from '../../src/pki/ca';
import { buildCrl } from '../../src/pki/crl';
import { crlStatusTable } from '../../src/cli/render';
import type { AgentEndpointReport, AgentHeartbeat, CertificateStore, CrlStateStore, ShippedLog } from '../../src/ports';
import { crlStatus } from '../../src/services/crl-status';
import { crlStatusText } from '../../src/slack/views/crl-health';
import { sweepSessions, terminateSessionsOf } from '../../src/services/sessions';
import {
  MemoryAgentRegistry,
  MemoryCrlDistribution,
  MemoryShippedLog,
  MemorySessionKillQueue,
} from '../helpers/agent-fakes';
import { testCa } from '../helpers/ca';
import { MemoryAuditLog } from '../helpers/memory-stores';

const KEY = 'openvpn:office';
const NOW = new Date('2026-12-04T12:00:00Z');
const secondsAgo = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const TLS_CRYPT_KEY = '-----BEGIN OpenVPN Static key V1-----\nabc\n-----END OpenVPN Static key V1-----\n';

function report(overrides: Partial<AgentEndpointReport> = {}): AgentEndpointReport {
  return {
    endpoint: KEY,
    health: { ok: true, detail: 'management interface at unix:/run/openvpn/mgmt.sock answers (pid=42)' },
    sessions: [
      { connectionId: '7', commonName: 'alice.laptop-U0ALICE', clientIp: '203.0.113.7', connectedAt: secondsAgo(600) },
      { connectionId: '9', commonName: 'bob.phone-U0BOB' },
    ],
    ...overrides,
  };
}

function heartbeat(at: Date, endpoint: AgentEndpointReport = report()): AgentHeartbeat {
  return { agentId: 'agent-1', host: 'vpn1.example.com', version: '1.4.0', at, endpoints: [endpoint] };
}

describe('AgentServedEndpoint', () => {
  let ca: CertificateAuthority;
  let distribution: MemoryCrlDistribution;
  let kills: MemorySessionKillQueue;
  let registry: MemoryAgentRegistry;

  beforeAll(async () => {
    ca = await testCa();
  });

  beforeEach(() => {
    distribution = new MemoryCrlDistribution();
    kills = new MemorySessionKillQueue();
    registry = new MemoryAgentRegistry();
  });

  const endpoint = (options: Partial<AgentServedEndpointOptions> = {}) =>
    new AgentServedEndpoint({
      name: 'office',
      remote: 'vpn.example.com 1194 udp',
      caPem: ca.certPem,
      tlsCrypt: false,
      distribution,
      kills,
      registry,
      clock: { now: () => NOW },
      killPollMs: 1,
      ...options,
    });

  const crl = (number: bigint) => buildCrl({ ca, number, revocations: [], now: NOW, days: 30 }).pem;

  /** What the agent does once it has written a CRL where the server reads it. */
  async function agentApplies(number: bigint): Promise<void> {
    const published = await distribution.get(KEY, number);
    await distribution.reportApplied(KEY, {
      number: published!.number,
      sha256: published!.sha256,
      at: NOW,
      agentId: 'agent-1',
    });
  }

  describe('the CRL', () => {
    it('reads back as pending until the agent applies it, then active, and the applied one while a newer one waits', async () => {
      const vpn = endpoint();
      expect(await vpn.exportCrl()).toEqual({});

      await vpn.importCrl(crl(5n));
      expect(await vpn.exportCrl()).toEqual({ pem: undefined, status: 'pending' });
      await agentApplies(5n);
      expect(await vpn.exportCrl()).toEqual({ pem: crl(5n), status: 'active' });

      await vpn.importCrl(crl(6n));
      expect(await vpn.exportCrl()).toEqual({ pem: crl(5n), status: 'pending' });
      await agentApplies(6n);
      expect(await vpn.exportCrl()).toEqual({ pem: crl(6n), status: 'active' });
    });

    it("reads as pending while the agent holds an older CA's CRL and the new CA's first one waits, though its number is lower", async () => {
      const vpn = endpoint();
      await vpn.importCrl(crl(50n));
      await agentApplies(50n);
      const next = await testCa('Next VPN CA');
      const first = buildCrl({ ca: next, number: 1n, revocations: [], now: NOW, days: 30 }).pem;
      await vpn.importCrl(first);
      expect(await vpn.exportCrl()).toEqual({ pem: crl(50n), status: 'pending' });
    });

    it('refuses to publish a CRL numbered below the one the table holds, naming both', async () => {
      const vpn = endpoint();
      await vpn.importCrl(crl(8n));
      const refused = vpn.importCrl(crl(7n));
      await expect(refused).rejects.toThrow(VpnChatopsError);
      await expect(refused).rejects.toThrow(
        'openvpn:office: CRL #7 was not published: the table already holds #8 for the agent',
      );
      expect((await distribution.get(KEY))?.number).toBe('8');
    });

    it('shows no CRL, pending, when the one the agent applied has left the table and a newer one waits', async () => {
      const vpn = endpoint();
      await vpn.importCrl(crl(5n));
      await agentApplies(5n);
      await vpn.importCrl(crl(6n));
      distribution.forget(KEY, 5n);
      expect(await vpn.exportCrl()).toEqual({ pem: undefined, status: 'pending' });
    });

    it('is reported as pending, not missing, until the agent applies the first one: by crl status, in vpnctl and in Slack', async () => {
      const vpn = endpoint();
      const deps = {
        ca,
        crlState: { getEndpoint: async () => undefined } as unknown as CrlStateStore,
        clock: { now: () => NOW },
        renewBeforeDays: 7,
      };
      await vpn.importCrl(crl(5n));
      const waiting = await crlStatus(deps, vpn);
      expect(waiting).toMatchObject({ health: 'warn', pending: true });
      expect(waiting.problems).toEqual([
        'A CRL is published and waiting for the agent: it applies it within a minute; if it does not, check the agent (`vpnctl doctor`, and `systemctl status vpnctl-agent` on the VPN host).',
      ]);
      expect(crlStatusTable([waiting])).toContain('a CRL is published, not yet applied by the endpoint (pending)');
      expect(crlStatusText(waiting)).toContain('A CRL is published, not yet applied by the endpoint (pending)');
      for (const text of [crlStatusTable([waiting]), crlStatusText(waiting)]) expect(text).not.toMatch(/no CRL/i);

      await agentApplies(5n);
      expect(await crlStatus(deps, vpn)).toMatchObject({ health: 'ok', live: { number: '5' }, problems: [] });
      // Nothing published at all is still a missing CRL.
      expect((await crlStatus(deps, endpoint({ name: 'branch' }))).problems).toEqual([
        'The endpoint has no CRL: run `vpnctl crl publish`.',
      ]);
    });

    it('says which part of the table failed', async () => {
      distribution.applied = () => Promise.reject(new Error('ProvisionedThroughputExceededException'));
      await expect(endpoint().exportCrl()).rejects.toThrow(
        'openvpn:office: reading the CRLs in the table failed (ProvisionedThroughputExceededException): check that DynamoDB answers',
      );
    });
  });

  describe('sessions', () => {
    it('lists the sessions of a fresh heartbeat, with their dates', async () => {
      await registry.beat(heartbeat(secondsAgo(20)));
      const sessions = await endpoint().listSessions();
      expect(sessions.map((session) => session.connectionId)).toEqual(['7', '9']);
      expect(sessions[0].connectedAt).toEqual(secondsAgo(600));
    });

    it('refuses a heartbeat older than 90 s rather than report its sessions as live', async () => {
      await registry.beat(heartbeat(secondsAgo(91)));
      await expect(endpoint().listSessions()).rejects.toThrow(
        'openvpn:office: the agent on vpn1.example.com has been silent since 2026-12-04T11:58:29.000Z, so its session list is not live: check `systemctl status vpnctl-agent` there',
      );
    });

    it('refuses when the agent reports the server unhealthy, since it then lists no sessions at all', async () => {
      const down = { ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:7505', fix: 'Start the OpenVPN server.' };
      await registry.beat(heartbeat(secondsAgo(20), report({ health: down, sessions: [] })));
      await expect(endpoint().listSessions()).rejects.toThrow(
        'openvpn:office: the agent on vpn1.example.com cannot read the sessions (connect ECONNREFUSED 127.0.0.1:7505): Start the OpenVPN server.',
      );
    });

    it('refuses when no agent has ever reported the endpoint', async () => {
      await expect(endpoint().listSessions()).rejects.toThrow('start `vpnctl agent` on the VPN host');
    });

    it('returns the kills the agent settled within the wait, done or gone', async () => {
      await registry.beat(heartbeat(secondsAgo(20)));
      const agent = setInterval(() => {
        void kills.pending(KEY).then(async (pending) => {
          for (const kill of pending)
            await kills.settle(kill, { state: kill.connectionId === '7' ? 'done' : 'gone' }, NOW);
        });
      }, 1);
      try {
        expect(await endpoint({ killWaitMs: 60_000 }).terminateSessions(['7', '9'], 'U0ADMIN')).toEqual(['7', '9']);
      } finally {
        clearInterval(agent);
      }
      expect(kills.kills).toMatchObject([
        { connectionId: '7', commonName: 'alice.laptop-U0ALICE', requestedBy: 'U0ADMIN', state: 'done' },
        { connectionId: '9', commonName: 'bob.phone-U0BOB', requestedBy: 'U0ADMIN', state: 'gone' },
      ]);
    });

    it('leaves a kill the agent has not carried out queued and unreported as ended; a retry waits for that same kill', async () => {
      await registry.beat(heartbeat(secondsAgo(20)));
      expect(await endpoint({ killWaitMs: 5 }).terminateSessions(['7'])).toEqual([]);
      expect(await kills.pending(KEY)).toMatchObject([
        { connectionId: '7', commonName: 'alice.laptop-U0ALICE', requestedBy: 'system:revoke' },
      ]);

      // The revoke retries, and meanwhile the agent carries out what was queued.
      const agent = setInterval(() => {
        void kills.pending(KEY).then(async (pending) => {
          for (const kill of pending) await kills.settle(kill, { state: 'done' }, NOW);
        });
      }, 1);
      try {
        expect(await endpoint({ killWaitMs: 60_000 }).terminateSessions(['7'])).toEqual(['7']);
      } finally {
        clearInterval(agent);
      }
      expect(kills.kills).toMatchObject([{ connectionId: '7', state: 'done' }]);
    });

    it('queues each kill under who asked for it (services/sessions.ts): a revoke as its admin, the daily sweep as itself', async () => {
      await registry.beat(heartbeat(secondsAgo(20)));
      const audit = new MemoryAuditLog();
      const clock = { now: () => NOW };
      await terminateSessionsOf(endpoint({ killWaitMs: 5 }), new Set(['bob.phone-U0BOB']), {
        audit,
        clock,
        actor: 'U0ADMIN',
        retryDelayMs: 0,
      });
      // The agent carries it out; its heartbeat still lists bob, so the sweep asks again.
      await kills.settle(kills.kills[0], { state: 'done' }, NOW);
      const certificates = { byActiveCn: async () => undefined } as unknown as CertificateStore;
      await sweepSessions(endpoint({ killWaitMs: 5 }), { certificates, audit, clock, actor: 'system:daily' });
      expect(kills.kills.map(({ connectionId, requestedBy }) => [connectionId, requestedBy])).toEqual([
        ['9', 'U0ADMIN'],
        ['7', 'system:daily'],
        ['9', 'system:daily'],
      ]);
    });

    it('queues a kill without a common name when no agent has reported', async () => {
      expect(await endpoint({ killWaitMs: 5 }).terminateSessions(['7'])).toEqual([]);
      expect((await kills.pending(KEY))[0]).not.toHaveProperty('commonName');
    });
  });

  describe('profiles', () => {
    it('builds the client configuration from the configured remote and our CA, as a self-hosted server does', async () => {
      const base = await endpoint().clientConfiguration();
      expect(base).toContain('remote vpn.example.com 1194\n');
      expect(base).toContain('proto udp\n');
      expect(base).toContain(ca.certPem.trim());
    });

    it("hands out the tls-crypt key the agent reported, from a stale heartbeat too: it changes only with the server's", async () => {
      await registry.beat(heartbeat(secondsAgo(3600), report({ tlsCryptKey: TLS_CRYPT_KEY })));
      expect(await endpoint({ tlsCrypt: true }).tlsCryptKey()).toBe(TLS_CRYPT_KEY);
    });

    it('refuses to leave out a tls-crypt key the endpoint expects, rather than issue a profile that cannot connect', async () => {
      await expect(endpoint({ tlsCrypt: true }).tlsCryptKey()).rejects.toThrow(
        'openvpn:office: no agent has reported its tls-crypt key (tlsCryptKeyFile) yet, and a profile without it cannot connect',
      );
      await registry.beat(heartbeat(secondsAgo(20)));
      await expect(endpoint({ tlsCrypt: true }).tlsCryptKey()).rejects.toThrow(
        "openvpn:office: the agent on vpn1.example.com has not reported the endpoint's tls-crypt key",
      );
      expect(await endpoint({ tlsCrypt: false }).tlsCryptKey()).toBeUndefined();
    });
  });

  describe('health', () => {
    it("is ok while the heartbeat is fresh and the agent's own check passes", async () => {
      await registry.beat(heartbeat(secondsAgo(20)));
      expect(await endpoint().health()).toEqual({
        ok: true,
        detail:
          'the agent on vpn1.example.com (version 1.4.0, last heartbeat 20 s ago) reports: management interface at unix:/run/openvpn/mgmt.sock answers (pid=42)',
      });
    });

    it("passes on the agent's own failure and its fix", async () => {
      const down = { ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:7505', fix: 'Start the OpenVPN server.' };
      await registry.beat(heartbeat(secondsAgo(20), report({ health: down })));
      expect(await endpoint().health()).toMatchObject({
        ok: false,
        detail: expect.stringContaining('reports: connect ECONNREFUSED 127.0.0.1:7505'),
        fix: 'On vpn1.example.com: Start the OpenVPN server.',
      });
    });

    it('is not ok when the agent has gone silent, and says to start it', async () => {
      await registry.beat(heartbeat(secondsAgo(120)));
      expect(await endpoint().health()).toEqual({
        ok: false,
        detail: 'the agent on vpn1.example.com (version 1.4.0) has been silent since 2026-12-04T11:58:00.000Z (120 s)',
        fix: 'Start `vpnctl agent` on vpn1.example.com (`systemctl status vpnctl-agent` says why it stopped).',
      });
    });

    it('is not ok when no agent has reported at all', async () => {
      expect(await endpoint().health()).toMatchObject({ ok: false, fix: 'Start `vpnctl agent` on the VPN host.' });
    });

    it('reads the server certificate from the report, its date revived from JSON', async () => {
      const certificate = { location: '/etc/openvpn/server.crt', subject: 'CN=vpn1', notAfter: new Date('2027-06-01') };
      const beat = heartbeat(secondsAgo(20), report({ serverCertificate: certificate }));
      await registry.beat(JSON.parse(JSON.stringify(beat)) as AgentHeartbeat);
      expect(await endpoint().serverCertificate()).toEqual(certificate);
    });
  });
});

describe('ShippedConnectionLog', () => {
  it('reads what the agent shipped for its endpoint, and says where it came from', async () => {
    const shipped = new MemoryShippedLog();
    const attempt = { at: NOW.getTime() - 60_000, status: 'successful', commonName: 'alice.laptop-U0ALICE' };
    await shipped.ship(KEY, new Date('2026-12-04T11:00:00Z'), {
      attempts: [attempt],
      events: 3,
      malformed: 0,
      ignored: 2,
    });
    await shipped.ship('openvpn:other', new Date('2026-12-04T11:00:00Z'), {
      attempts: [attempt],
      events: 1,
      malformed: 0,
      ignored: 0,
    });
    const read = await new ShippedConnectionLog({ name: 'office', shipped }).read(secondsAgo(3600), NOW);
    expect(read).toMatchObject({ attempts: [attempt], events: 3, ignored: 2 });
    expect(read.notes).toEqual([expect.stringContaining('Shipped by `vpnctl agent`')]);
  });

  it('says the table failed, not the log', async () => {
    const failing: Pick<ShippedLog, 'read'> = { read: () => Promise.reject(new Error('ResourceNotFoundException')) };
    await expect(
      new ShippedConnectionLog({ name: 'office', shipped: failing }).read(secondsAgo(3600), NOW),
    ).rejects.toThrow(
      'openvpn:office: the log its agent shipped could not be read from the table (ResourceNotFoundException)',
    );
  });
});
