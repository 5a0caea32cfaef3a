import { AGENT_SILENT_AFTER_MS, watchAgents } from '../../src/services/agent-watch';
import { MemoryAgentRegistry, RecordingAgentAlerts, SettableClock, heartbeat } from '../helpers/agent-ops-fakes';

const START = new Date('2026-12-04T12:00:00Z');

function world() {
  const agents = new MemoryAgentRegistry();
  const alerts = new RecordingAgentAlerts();
  const clock = new SettableClock(START);
  return { agents, alerts, clock, round: () => watchAgents({ agents, alerts, clock }) };
}

describe('watchAgents: admins hear once when an agent goes silent and once when it is back', () => {
  it('says nothing about an agent that beats', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(heartbeat('vpn1', START));
    clock.advance(AGENT_SILENT_AFTER_MS);
    expect(await round()).toEqual({ agents: 1, silent: [], back: [], problems: [] });
    expect(alerts.sent).toEqual([]);
  });

  it('alerts once for an agent silent over 5 minutes, however many rounds see it silent', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(heartbeat('vpn1', START, ['openvpn:office', 'openvpn:lab']));
    await agents.beat(heartbeat('vpn2', START));
    clock.advance(AGENT_SILENT_AFTER_MS + 1);
    await agents.beat(heartbeat('vpn2', clock.now()));
    expect((await round()).silent).toEqual(['vpn1']);
    clock.advance(AGENT_SILENT_AFTER_MS);
    await agents.beat(heartbeat('vpn2', clock.now()));
    expect((await round()).silent).toEqual([]);
    expect(alerts.sent).toEqual([
      {
        kind: 'silent',
        agentId: 'vpn1',
        host: 'vpn1.example.net',
        version: '0.1.0',
        endpoints: ['openvpn:office', 'openvpn:lab'],
        lastBeatAt: START,
      },
    ]);
    expect(agents.silent).toEqual(new Set(['vpn1']));
  });

  it('alerts "back" once when a silent agent beats again, and "silent" again if it falls silent again', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(heartbeat('vpn1', START));
    clock.advance(AGENT_SILENT_AFTER_MS + 1);
    await round();
    const back = clock.now();
    await agents.beat(heartbeat('vpn1', back));
    expect((await round()).back).toEqual(['vpn1']);
    expect((await round()).back).toEqual([]);
    clock.advance(AGENT_SILENT_AFTER_MS + 1);
    await round();
    expect(alerts.sent.map((alert) => [alert.kind, alert.lastBeatAt])).toEqual([
      ['silent', START],
      ['back', back],
      ['silent', back],
    ]);
  });

  it('tells nothing when another round already recorded the change (markSilent false)', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(heartbeat('vpn1', START));
    await agents.markSilent('vpn1', true);
    clock.advance(AGENT_SILENT_AFTER_MS + 1);
    expect((await round()).silent).toEqual([]);
    expect(alerts.sent).toEqual([]);
  });

  it('an alert that could not be sent is not recorded as told: the next round tells it', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(heartbeat('vpn1', START));
    clock.advance(AGENT_SILENT_AFTER_MS + 1);
    alerts.failNext = 1;
    const first = await round();
    expect(first.problems).toEqual(['agent vpn1: Slack is down']);
    expect(agents.silent.has('vpn1')).toBe(false);
    expect((await round()).silent).toEqual(['vpn1']);
    expect(alerts.sent.map((alert) => alert.kind)).toEqual(['silent']);
  });

  it('one agent whose state cannot be recorded does not stop the others', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(heartbeat('vpn1', START));
    await agents.beat(heartbeat('vpn2', START));
    agents.failing.add('vpn1');
    clock.advance(AGENT_SILENT_AFTER_MS + 1);
    const report = await round();
    expect(report).toEqual({
      agents: 2,
      silent: ['vpn2'],
      back: [],
      problems: ['agent vpn1: the table refused agent vpn1'],
    });
    expect(alerts.sent.map((alert) => alert.agentId)).toEqual(['vpn2']);
  });
});
