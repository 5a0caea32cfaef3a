import { generateKeyPairSync } from 'node:crypto';
import { AgentServedEndpoint } from '../../src/adapters/agent/endpoint';
import { agentStoresFor } from '../../src/adapters/dynamodb/agent-stores';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import { encodeCn } from '../../src/domain/cn';
import type { CertificateRecord } from '../../src/domain/certificate';
import type { CertificateAuthority } from '../../src/pki/ca';
import { signCertificateFor } from '../../src/pki/certificate';
import { parseCrl } from '../../src/pki/crl';
import { DynamoDbProbe } from '../../src/adapters/dynamodb/probe';
import { endpointChecks } from '../../src/services/doctor-endpoint';
import { VpnAdmin, doctorPolicy } from '../../src/services/vpn-admin';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { testCa } from '../helpers/ca';
import { describeWith } from '../helpers/tools';

const KEY = 'openvpn:office';
const DOMAIN = 'vpn.test';

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'an agent-served endpoint over the real table',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let ca: CertificateAuthority;
    let stores: ReturnType<typeof storesFor> & ReturnType<typeof agentStoresFor>;
    let agent: NodeJS.Timeout | undefined;
    /** The round under way, if any: the table must outlive it (afterEach waits for it). */
    let round: Promise<void> | undefined;

    beforeAll(async () => {
      db = await testDatabase();
      ca = await testCa();
      stores = { ...storesFor(db), ...agentStoresFor(db) };
    });
    afterEach(async () => {
      clearInterval(agent);
      await round;
    });
    afterAll(() => db.drop());

    const endpoint = (killWaitMs?: number) =>
      new AgentServedEndpoint({
        name: 'office',
        remote: 'vpn.example.com 1194 udp',
        caPem: ca.certPem,
        tlsCrypt: false,
        distribution: stores.crlDistribution,
        kills: stores.sessionKills,
        registry: stores.agents,
        clock: { now: () => new Date() },
        killPollMs: 20,
        ...(killWaitMs !== undefined && { killWaitMs }),
      });

    async function beat(sessions: { connectionId: string; commonName: string }[], at = new Date()): Promise<void> {
      await stores.agents.beat({
        agentId: 'agent-1',
        host: 'vpn1.example.com',
        version: '1.4.0',
        at,
        endpoints: [{ endpoint: KEY, health: { ok: true, detail: 'management answers' }, sessions }],
      });
    }

    /** What `vpnctl agent` does each round, minus the server: applies the newest CRL, carries out the kills. */
    async function agentRound(): Promise<void> {
      const newest = await stores.crlDistribution.get(KEY);
      const applied = await stores.crlDistribution.applied(KEY);
      if (newest && newest.number !== applied?.number)
        await stores.crlDistribution.reportApplied(KEY, {
          number: newest.number,
          sha256: newest.sha256,
          at: new Date(),
          agentId: 'agent-1',
        });
      for (const kill of await stores.sessionKills.pending(KEY))
        await stores.sessionKills.settle(kill, { state: 'done' }, new Date());
    }

    function startAgent(): void {
      let busy = false;
      agent = setInterval(() => {
        if (busy) return;
        busy = true;
        round = agentRound().finally(() => (busy = false));
      }, 50);
    }

    async function enrol(name: string, slackId: string): Promise<CertificateRecord> {
      const cn = encodeCn({ displayName: name, slackId, domain: DOMAIN });
      const now = new Date();
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const issued = signCertificateFor({ ca, cn, publicKey, now });
      const record: CertificateRecord = {
        serial: issued.serial,
        cn,
        slackId,
        status: 'active',
        issuedAt: now,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        certPem: issued.certPem,
        source: 'issued',
        issuedBy: 'U0ADMIN',
      };
      await stores.certificates.create(record);
      return record;
    }

    it('revokes through the table: the agent ends the session and applies the CRL, and the report and the audit say so', async () => {
      const dana = await enrol('Dana', 'U0DANA');
      await beat([{ connectionId: '12', commonName: dana.cn }]);
      startAgent();
      const admin = new VpnAdmin({
        config: loadConfig({ CERT_DOMAIN: DOMAIN }),
        ca,
        ...stores,
        endpoints: [endpoint()],
        alerts: { send: async () => undefined },
        coalesceMs: 0,
      });

      const report = await admin.revoke({ target: { slackId: 'U0DANA' }, reason: 'keyCompromise', actor: 'U0ADMIN' });

      expect(report.sessions).toEqual([{ endpoint: KEY, terminated: 1 }]);
      expect(report.crl).toMatchObject([{ endpoint: KEY, outcome: 'published' }]);
      const live = await endpoint().exportCrl();
      expect(live.status).toBe('active');
      expect(parseCrl(live.pem!, ca).revocations.map((r) => r.serial)).toContain(dana.serial);
      const [publish] = (await stores.audit.query({ target: KEY })).filter((entry) => entry.action === 'crl.publish');
      expect(publish).toMatchObject({ outcome: 'success', details: { status: 'active' } });
      expect(await stores.sessionKills.pending(KEY)).toEqual([]);
    });

    it('reports the session list as partial, never as every session, when the heartbeat could not hold them all', async () => {
      const fay = await enrol('Fay', 'U0FAY');
      const crowd = Array.from({ length: 2_500 }, (_, i) => ({
        connectionId: String(1_000 + i),
        commonName: `Александра-Преображенская-Константиновна-${String(i).padStart(6, '0')}`.padEnd(64, 'я'),
        clientIp: `2001:0db8:ffff:ffff:ffff:ffff:ffff:${i.toString(16).padStart(4, '0')}`,
      }));
      await beat([...crowd, { connectionId: '9999', commonName: fay.cn }]);
      startAgent();
      const admin = new VpnAdmin({
        config: loadConfig({ CERT_DOMAIN: DOMAIN }),
        ca,
        ...stores,
        endpoints: [endpoint()],
        alerts: { send: async () => undefined },
        coalesceMs: 0,
      });

      const report = await admin.revoke({ target: { slackId: 'U0FAY' }, reason: 'keyCompromise', actor: 'U0ADMIN' });

      expect(report.sessions).toEqual([
        {
          endpoint: KEY,
          terminated: 0,
          error: expect.stringMatching(
            /^openvpn:office: the agent on vpn1\.example\.com has more live sessions than its heartbeat .* it listed only \d+, so the bot cannot tell /,
          ),
        },
      ]);
      expect(report.crl).toMatchObject([{ endpoint: KEY, outcome: 'published' }]);
    });

    it('shows doctor the CRL the agent applied, and the agent gone silent with what to do', async () => {
      const config = loadConfig({ CERT_DOMAIN: DOMAIN });
      const doctor = () =>
        endpointChecks(
          {
            ca,
            crlState: stores.crlState,
            endpoints: [],
            clock: { now: () => new Date() },
            policy: doctorPolicy(config),
            database: new DynamoDbProbe(db),
            requiredScopes: [],
          },
          endpoint(),
        );
      await beat([]);
      startAgent();
      await new VpnAdmin({
        config,
        ca,
        ...stores,
        endpoints: [endpoint()],
        alerts: { send: async () => undefined },
        coalesceMs: 0,
      }).publishAll('U0ADMIN');
      const healthy = await doctor();
      expect(healthy.find((check) => check.name === `${KEY}: endpoint`)).toMatchObject({ status: 'pass' });
      expect(healthy.filter((check) => check.name.startsWith(`${KEY}: CRL`)).map((check) => check.status)).toEqual([
        'pass',
        'pass',
        'pass',
        'pass',
      ]);

      await beat([], new Date(Date.now() - 120_000));
      expect((await doctor()).find((check) => check.name === `${KEY}: endpoint`)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^the agent on vpn1\.example\.com \(version 1\.4\.0\) has been silent since /),
        fix: 'Start `vpnctl agent` on vpn1.example.com (`systemctl status vpnctl-agent` says why it stopped).',
      });
    });

    it('leaves a kill queued while the agent is away, and it is carried out when the agent is back', async () => {
      await beat([{ connectionId: '31', commonName: 'erin-U0ERIN.vpn.test' }]);
      expect(await endpoint(100).terminateSessions(['31'], 'U0ADMIN')).toEqual([]);
      expect(await stores.sessionKills.pending(KEY)).toMatchObject([
        { connectionId: '31', commonName: 'erin-U0ERIN.vpn.test', requestedBy: 'U0ADMIN' },
      ]);

      startAgent();
      expect(await endpoint().terminateSessions(['31'], 'U0ADMIN')).toEqual(['31']);
      expect(await stores.sessionKills.pending(KEY)).toEqual([]);
    });
  },
);
