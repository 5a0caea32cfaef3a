import { Agent } from '../../src/agent/agent';
import { agentStoresFor } from '../../src/adapters/dynamodb/agent-stores';
import { deny } from '../../src/domain/approval';
import { loadCaCertificate } from '../../src/pki/ca';
import { agentChecks } from '../../src/services/doctor-agents';
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
  },
);
