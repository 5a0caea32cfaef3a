import { Agent } from '../../src/agent/agent';
import { deny } from '../../src/domain/approval';
import { loadCaCertificate } from '../../src/pki/ca';
import { buildCrl } from '../../src/pki/crl';
import { testCa } from '../helpers/ca';
import {
  FakeOpenVpnEndpoint,
  MemoryAgentRegistry,
  MemoryCrlDistribution,
  MemoryEndpointLease,
  MemorySessionKillQueue,
  MemoryShippedLog,
  RecordingAlerts,
  RecordingLog,
  TestClock,
  fakeManagement,
} from '../helpers/agent-runtime-fakes';

const KEY = 'openvpn:office';

describe('two agents for one endpoint: exactly one acts', () => {
  it('the lease holder writes CRLs, ends sessions and beats for the endpoint; the other stands by and takes over when it stops', async () => {
    const ca = await testCa();
    const management = await fakeManagement();
    const clock = new TestClock(new Date());
    const table = {
      crlDistribution: new MemoryCrlDistribution(),
      sessionKills: new MemorySessionKillQueue(),
      agentRegistry: new MemoryAgentRegistry(),
      endpointLease: new MemoryEndpointLease(() => clock.now().getTime()),
      shippedLog: new MemoryShippedLog(),
      // The daily sweep is not part of a round.
      certificates: {} as never,
      audit: {} as never,
    };
    const agentFor = (agentId: string, endpoint: FakeOpenVpnEndpoint) =>
      new Agent({
        agentId,
        host: agentId,
        version: 'test',
        endpoints: [{ key: KEY, management: management.address, endpoint: () => endpoint }],
        stores: table,
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
      await two.round();
      expect(one.state()).toEqual([{ endpoint: KEY, acting: true, answeringLogins: true }]);
      expect(two.state()).toEqual([{ endpoint: KEY, acting: false, answeringLogins: false }]);

      const crl = buildCrl({ ca, number: 2n, revocations: [] });
      await table.crlDistribution.publish(KEY, crl, clock.now());
      await table.sessionKills.request(KEY, [{ connectionId: '7' }], 'U0ADMIN', clock.now());
      await two.round();
      expect(second.crlWrites).toEqual([]);
      expect(second.sessions).toHaveLength(1);
      expect(table.agentRegistry.beats.at(-1)).toMatchObject({
        agentId: 'vpn2',
        endpoints: [{ endpoint: KEY, acting: false, sessions: [] }],
      });

      await one.round();
      expect(first.crlWrites).toEqual([crl.pem]);
      expect(first.sessions).toEqual([]);
      expect(table.sessionKills.kills[0].state).toBe('done');
      expect(table.agentRegistry.beats.at(-1)).toMatchObject({
        agentId: 'vpn1',
        endpoints: [{ endpoint: KEY, acting: true }],
      });

      await one.stop();
      expect(one.state()[0].acting).toBe(false);
      await two.round();
      expect(two.state()).toEqual([{ endpoint: KEY, acting: true, answeringLogins: true }]);
      expect(table.endpointLease.holder(KEY)).toMatch(/^vpn2#/);
    } finally {
      await one.stop();
      await two.stop();
      await management.close();
    }
  });
});
