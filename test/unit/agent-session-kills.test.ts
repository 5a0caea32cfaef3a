import { carryOutKills } from '../../src/services/agent/session-kills';
import { FakeOpenVpnEndpoint, MemorySessionKillQueue, RecordingLog, TestClock } from '../helpers/agent-runtime-fakes';

describe('carryOutKills: the sessions the bot asked to end', () => {
  const clock = new TestClock();
  let kills: MemorySessionKillQueue;
  let endpoint: FakeOpenVpnEndpoint;
  let log: RecordingLog;
  const run = () => carryOutKills({ kills, clock, log }, endpoint);

  beforeEach(() => {
    kills = new MemorySessionKillQueue();
    endpoint = new FakeOpenVpnEndpoint();
    log = new RecordingLog();
    endpoint.sessions = [
      { connectionId: '7', commonName: 'alice' },
      { connectionId: '8', commonName: 'bob' },
    ];
  });

  it('ends live sessions (done), settles ended ones (gone), and leaves other endpoints alone', async () => {
    await kills.request(
      endpoint.key,
      [{ connectionId: '7', commonName: 'alice' }, { connectionId: '99' }],
      'U0ADMIN',
      clock.now(),
    );
    await kills.request('openvpn:other', [{ connectionId: '8' }], 'U0ADMIN', clock.now());
    expect(await run()).toEqual({ done: ['kill-1'], gone: ['kill-2'], failed: [] });
    expect(endpoint.sessions.map((session) => session.connectionId)).toEqual(['8']);
    expect(kills.kills.map((kill) => kill.state)).toEqual(['done', 'gone', 'pending']);
    expect(log.at('info')).toEqual(['openvpn:office: ended 1 session(s) the bot asked for, 1 had already ended']);
    expect(await run()).toEqual({ done: [], gone: [], failed: [] });
  });

  it('never ends a stranger who now holds the id of a session that has gone (OpenVPN renumbers after a restart)', async () => {
    await kills.request(endpoint.key, [{ connectionId: '8', commonName: 'mallory' }], 'U0ADMIN', clock.now());
    expect(await run()).toEqual({ done: [], gone: ['kill-1'], failed: [] });
    expect(endpoint.sessions.map((session) => session.connectionId)).toEqual(['7', '8']);
  });

  it('keeps a kill queued while the management interface is down, and carries it out once it is back', async () => {
    await kills.request(endpoint.key, [{ connectionId: '7' }], 'U0ADMIN', clock.now());
    endpoint.managementDown = new Error('OpenVPN management interface at 127.0.0.1:7505 refused the connection');
    expect(await run()).toEqual({ done: [], gone: [], failed: ['kill-1'] });
    expect(kills.kills[0]).toMatchObject({
      state: 'pending',
      lastError: expect.stringContaining('refused the connection'),
    });
    expect(log.at('error')).toEqual([expect.stringContaining('they stay queued')]);
    endpoint.managementDown = undefined;
    expect(await run()).toEqual({ done: ['kill-1'], gone: [], failed: [] });
    expect(kills.kills[0].state).toBe('done');
  });

  it('keeps a kill queued when the server would not end a live session', async () => {
    endpoint.unkillable.add('8');
    await kills.request(endpoint.key, [{ connectionId: '8', commonName: 'bob' }], 'U0ADMIN', clock.now());
    expect(await run()).toEqual({ done: [], gone: [], failed: ['kill-1'] });
    expect(kills.kills[0]).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: 'the server did not end client 8',
    });
  });
});
