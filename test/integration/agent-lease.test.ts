import { Agent } from '../../src/agent/agent';
import { agentStoresFor } from '../../src/adapters/dynamodb/agent-stores';
import { deny } from '../../src/domain/approval';
import { VpnChatopsError } from '../../src/domain/errors';
import { loadCaCertificate } from '../../src/pki/ca';
import { ENDPOINT_DOWN_AFTER_MS, watchAgents } from '../../src/services/agent-watch';
import { agentChecks } from '../../src/services/doctor-agents';
import { RecordingAgentAlerts, SettableClock } from '../helpers/agent-ops-fakes';
import { eventually } from '../helpers/eventually';
import { FakeOpenVpnEndpoint, RecordingAlerts, RecordingLog, fakeManagement } from '../helpers/agent-runtime-fakes';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const KEY = 'openvpn:office';

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'two agents for one endpoint, on the real lease and heartbeat table',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(() => db.drop());

    it('the standby agent reports the endpoint as standby, and the bot still reads the acting one', async () => {
      const ca = await testCa();
      const management = await fakeManagement();
      const stores = agentStoresFor(db);
      const clock = { now: () => new Date() };
      const agentFor = (agentId: string, endpoint: FakeOpenVpnEndpoint) =>
        new Agent({
          agentId,
          host: `${agentId}.example.net`,
          version: 'test',
          endpoints: [{ key: KEY, management: management.address, endpoint: () => endpoint }],
          stores: {
            crlDistribution: stores.crlDistribution,
            sessionKills: stores.sessionKills,
            agentRegistry: stores.agents,
            endpointLease: stores.agentLease,
            shippedLog: stores.shippedLog,
            // The daily sweep is not part of a round.
            certificates: {} as never,
            audit: {} as never,
          },
          ca: loadCaCertificate(ca.certPem),
          approvals: { decide: async () => deny('error', 'no'), reauth: async () => false },
          alerts: new RecordingAlerts(),
          clock,
          log: new RecordingLog(),
        });
      const first = new FakeOpenVpnEndpoint(KEY);
      const second = new FakeOpenVpnEndpoint(KEY);
      first.sessions = second.sessions = [{ connectionId: '7', commonName: 'alice' }];
      const one = agentFor('vpn1', first);
      const two = agentFor('vpn2', second);
      try {
        await one.round();
        // The standby beats last: its report must not become what the bot reads for the endpoint.
        await two.round();
        expect(two.state()).toEqual([{ endpoint: KEY, acting: false, answeringLogins: false }]);

        const beats = new Map((await stores.agents.list()).map((agent) => [agent.agentId, agent]));
        expect(beats.get('vpn2')?.endpoints).toEqual([
          { endpoint: KEY, acting: false, health: expect.objectContaining({ ok: false }), sessions: [] },
        ]);
        expect(beats.get('vpn1')?.endpoints).toMatchObject([{ endpoint: KEY, acting: true, sessions: first.sessions }]);
        expect((await stores.agents.serving(KEY))?.agentId).toBe('vpn1');
        const checks = await agentChecks({ agents: stores.agents, clock });
        expect(checks.find((check) => check.name === 'agent vpn2')?.detail).toMatch(
          /serving openvpn:office \(standby\)$/,
        );
        expect(checks.find((check) => check.name === `${KEY}: agent`)).toMatchObject({
          status: 'pass',
          detail: expect.stringMatching(/^vpn1 on vpn1\.example\.net .* holds the lease; standby: vpn2 on /),
        });

        await one.stop();
        await two.round();
        expect((await stores.agents.serving(KEY))?.agentId).toBe('vpn2');
      } finally {
        await one.stop();
        await two.stop();
        await management.close();
      }
    });

    it('an agent whose role may not write the lease says why in its heartbeat, and the bot alerts after 5 minutes', async () => {
      const ca = await testCa();
      const stores = agentStoresFor(db);
      const clock = new SettableClock(new Date());
      const refused = 'AccessDeniedException: vpnctl-agent is not authorized to perform dynamodb:PutItem';
      const agent = new Agent({
        agentId: 'vpn3',
        host: 'vpn3.example.net',
        version: 'test',
        endpoints: [
          { key: 'openvpn:lab', management: '127.0.0.1:9', endpoint: () => new FakeOpenVpnEndpoint('openvpn:lab') },
        ],
        stores: {
          crlDistribution: stores.crlDistribution,
          sessionKills: stores.sessionKills,
          agentRegistry: stores.agents,
          endpointLease: {
            acquire: () => Promise.reject(new VpnChatopsError('STORE_UNAVAILABLE', refused)),
            release: (endpoint, holder) => stores.agentLease.release(endpoint, holder),
          },
          shippedLog: stores.shippedLog,
          certificates: {} as never,
          audit: {} as never,
        },
        ca: loadCaCertificate(ca.certPem),
        approvals: { decide: async () => deny('error', 'no'), reauth: async () => false },
        alerts: new RecordingAlerts(),
        clock,
        log: new RecordingLog(),
        intervalsMs: { heartbeat: 50, lease: 50 },
      });
      const report = async () => {
        const beat = (await stores.agents.list()).find((each) => each.agentId === 'vpn3');
        return beat && beat.at >= clock.now() ? beat.endpoints[0] : undefined;
      };
      const since = clock.now();
      try {
        await agent.start();
        expect(await eventually(report, 'the standby report')).toEqual({
          endpoint: 'openvpn:lab',
          acting: false,
          health: { ok: false, detail: `cannot take the lease: ${refused}` },
          sessions: [],
          unhealthySince: since,
          leaseError: refused,
        });
        const checks = await agentChecks({ agents: stores.agents, clock });
        expect(checks.find((check) => check.name === 'openvpn:lab: agent')).toMatchObject({
          status: 'fail',
          detail: expect.stringContaining(`none can take the lease (vpn3: ${refused})`),
        });

        clock.advance(ENDPOINT_DOWN_AFTER_MS);
        await eventually(report, 'a heartbeat 5 minutes on');
        const alerts = new RecordingAgentAlerts();
        const watched = await watchAgents({ agents: stores.agents, alerts, clock });
        expect(watched.told).toContain('cannot-serve openvpn:lab');
        expect(alerts.healthSent).toContainEqual(
          expect.objectContaining({ kind: 'cannot-serve', endpoint: 'openvpn:lab', at: since }),
        );
      } finally {
        await agent.stop();
      }
    });
  },
);
