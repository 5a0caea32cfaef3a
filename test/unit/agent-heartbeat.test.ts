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
        acting: true,
        health: { ok: true, detail: 'answers' },
        sessions: office.sessions,
        clientConfiguration: await office.clientConfiguration(),
        tlsCryptKey: await office.tlsCryptKey(),
      },
      {
        endpoint: 'openvpn:lab',
        acting: true,
        health: { ok: false, detail: 'management interface refused the connection' },
        sessions: [],
        clientConfiguration: await lab.clientConfiguration(),
      },
    ]);
    expect(log.at('warn')).toEqual(['openvpn:lab: left the tls-crypt key out of the heartbeat: EACCES: tc.key']);
    expect((await registry.serving('openvpn:lab'))?.agentId).toBe('vpn1:lab+office');
  });

  it('says the endpoint is not ok when its sessions cannot be listed, rather than report nobody connected', async () => {
    const registry = new MemoryAgentRegistry();
    const office = new FakeOpenVpnEndpoint('openvpn:office');
    office.sessions = [{ connectionId: '7', commonName: 'alice' }];
    office.listSessions = () => Promise.reject(new Error('status 3 timed out'));
    const deps = {
      registry,
      clock: new TestClock(),
      agentId: 'vpn1',
      host: 'vpn1',
      version: '0.1.0',
      log: new RecordingLog(),
    };
    const [report] = (await beat(deps, [office])).endpoints;
    expect(report.health).toMatchObject({ ok: false, detail: 'the sessions could not be listed: status 3 timed out' });
    expect(report.sessions).toEqual([]);
  });

  it('dates an unhealthy endpoint from its first unhealthy beat, and starts afresh once it is healthy again', async () => {
    const registry = new MemoryAgentRegistry();
    const clock = new TestClock();
    const office = new FakeOpenVpnEndpoint('openvpn:office');
    const deps = {
      registry,
      clock,
      agentId: 'vpn1',
      host: 'vpn1',
      version: '0.1.0',
      log: new RecordingLog(),
      unhealthySince: new Map<string, Date>(),
    };
    const since = async () => (await beat(deps, [office])).endpoints[0].unhealthySince;
    expect(await since()).toBeUndefined();
    office.health = async () => ({ ok: false, detail: 'wrong password' });
    const first = clock.now();
    expect(await since()).toEqual(first);
    clock.advance(15_000);
    expect(await since()).toEqual(first);
    office.health = async () => ({ ok: true, detail: 'answers' });
    expect(await since()).toBeUndefined();
    office.health = async () => ({ ok: false, detail: 'refused' });
    clock.advance(15_000);
    expect(await since()).toEqual(clock.now());
  });

  it('says why it stands by: another agent holds the lease, or the lease cannot be taken (and since when)', async () => {
    const registry = new MemoryAgentRegistry();
    const clock = new TestClock();
    const since = new Date(clock.now().getTime() - 60_000);
    const deps = {
      registry,
      clock,
      agentId: 'vpn1',
      host: 'vpn1',
      version: '0.1.0',
      log: new RecordingLog(),
      leaseErrors: new Map([['openvpn:lab', { error: 'AccessDeniedException: not authorized', since }]]),
    };
    const heartbeat = await beat(
      deps,
      [],
      [new FakeOpenVpnEndpoint('openvpn:office'), new FakeOpenVpnEndpoint('openvpn:lab')],
    );
    expect(heartbeat.endpoints).toEqual([
      {
        endpoint: 'openvpn:office',
        acting: false,
        health: { ok: false, detail: 'standing by: another agent holds the lease and reports this server' },
        sessions: [],
      },
      {
        endpoint: 'openvpn:lab',
        acting: false,
        health: { ok: false, detail: 'cannot take the lease: AccessDeniedException: not authorized' },
        sessions: [],
        unhealthySince: since,
        leaseError: 'AccessDeniedException: not authorized',
      },
    ]);
  });
});
