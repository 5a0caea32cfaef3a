import { beat } from '../../src/services/agent/heartbeat';
import { FakeOpenVpnEndpoint, MemoryAgentRegistry, RecordingLog, TestClock } from '../helpers/agent-runtime-fakes';

describe('beat: the heartbeat the bot answers from', () => {
  it('reports each endpoint: health, sessions, client configuration, tls-crypt key; a part that fails is left out', async () => {
    const registry = new MemoryAgentRegistry();
    const clock = new TestClock();
    const log = new RecordingLog();
    const office = new FakeOpenVpnEndpoint('openvpn:office');
    office.sessions = [{ connectionId: '7', commonName: 'alice' }];
    const lab = new FakeOpenVpnEndpoint('openvpn:lab');
    lab.health = async () => ({ ok: false, detail: 'management interface refused the connection' });
    lab.tlsCryptKey = () => Promise.reject(new Error('EACCES: tc.key'));

    const deps = { registry, clock, agentId: 'vpn1:lab+office', host: 'vpn1', version: '0.1.0', log };
    const heartbeat = await beat(deps, [office, lab]);

    expect(registry.beats).toEqual([heartbeat]);
    expect(heartbeat).toMatchObject({ agentId: 'vpn1:lab+office', host: 'vpn1', version: '0.1.0', at: clock.now() });
    expect(heartbeat.endpoints).toEqual([
      {
        endpoint: 'openvpn:office',
        health: { ok: true, detail: 'answers' },
        sessions: office.sessions,
        clientConfiguration: await office.clientConfiguration(),
        tlsCryptKey: await office.tlsCryptKey(),
      },
      {
        endpoint: 'openvpn:lab',
        health: { ok: false, detail: 'management interface refused the connection' },
        sessions: [],
        clientConfiguration: await lab.clientConfiguration(),
      },
    ]);
    expect(log.at('warn')).toEqual(['openvpn:lab: left the tls-crypt key out of the heartbeat: EACCES: tc.key']);
    expect((await registry.serving('openvpn:lab'))?.agentId).toBe('vpn1:lab+office');
  });
});
