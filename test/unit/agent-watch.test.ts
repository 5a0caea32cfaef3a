import {
  AGENT_SILENT_AFTER_MS,
  ENDPOINT_DOWN_AFTER_MS,
  KILL_STUCK_AFTER_MS,
  KILL_STUCK_ATTEMPTS,
  watchAgents,
} from '../../src/services/agent-watch';
import { MemorySessionKillQueue } from '../helpers/agent-runtime-fakes';
import type { AgentHeartbeat } from '../../src/ports';
import { MINUTE_MS } from '../../src/domain/time';
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
    expect(await round()).toEqual({ agents: 1, silent: [], back: [], told: [], problems: [] });
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
      told: [],
      problems: ['agent vpn1: the table refused agent vpn1'],
    });
    expect(alerts.sent.map((alert) => alert.agentId)).toEqual(['vpn2']);
  });
});

/** `vpn1`'s heartbeat at `at`, with openvpn:office unhealthy since `since` (healthy when undefined). */
function office(at: Date, since?: Date, extra: Partial<AgentHeartbeat> = {}): AgentHeartbeat {
  const beat = heartbeat('vpn1', at);
  if (since)
    beat.endpoints[0] = {
      ...beat.endpoints[0],
      health: { ok: false, detail: 'management interface at 127.0.0.1:7505: wrong password <!channel>' },
      unhealthySince: since,
    };
  return { ...beat, ...extra };
}

describe('watchAgents: an endpoint its agent cannot serve is told once, and once when it serves again', () => {
  it('alerts once after 5 minutes unhealthy, however many rounds follow, and once when it is healthy again', async () => {
    const { agents, alerts, clock, round } = world();
    const beat = async (since?: Date) => agents.beat(office(clock.now(), since));
    await beat(START);
    expect((await round()).told).toEqual([]);
    clock.advance(ENDPOINT_DOWN_AFTER_MS - MINUTE_MS);
    await beat(START);
    expect((await round()).told).toEqual([]);
    clock.advance(MINUTE_MS);
    await beat(START);
    expect((await round()).told).toEqual(['cannot-serve openvpn:office']);
    clock.advance(ENDPOINT_DOWN_AFTER_MS);
    await beat(START);
    expect((await round()).told).toEqual([]);
    clock.advance(MINUTE_MS);
    await beat();
    expect((await round()).told).toEqual(['serves-again openvpn:office']);
    expect((await round()).told).toEqual([]);
    expect(alerts.healthSent).toEqual([
      {
        kind: 'cannot-serve',
        endpoint: 'openvpn:office',
        agentId: 'vpn1',
        host: 'vpn1.example.net',
        reason: 'management interface at 127.0.0.1:7505: wrong password <!channel>',
        at: START,
      },
      {
        kind: 'serves-again',
        endpoint: 'openvpn:office',
        agentId: 'vpn1',
        host: 'vpn1.example.net',
        reason: 'management answers',
        at: clock.now(),
      },
    ]);
  });

  it('two runners on the same change: one alert', async () => {
    const { agents, alerts, clock } = world();
    await agents.beat(office(new Date(START.getTime() + ENDPOINT_DOWN_AFTER_MS), START));
    clock.advance(ENDPOINT_DOWN_AFTER_MS);
    const rounds = await Promise.all([1, 2].map(() => watchAgents({ agents, alerts, clock })));
    expect(rounds.flatMap((report) => report.told)).toEqual(['cannot-serve openvpn:office']);
    expect(alerts.healthSent).toHaveLength(1);
  });

  it('judges the time unhealthy by the heartbeat, not by a stale one, nor by a standby report', async () => {
    const { agents, alerts, clock, round } = world();
    // The agent went silent while the endpoint was down: the silence is told, the endpoint is not judged.
    await agents.beat(office(new Date(START.getTime() + ENDPOINT_DOWN_AFTER_MS), START));
    clock.advance(ENDPOINT_DOWN_AFTER_MS + 2 * MINUTE_MS);
    const stale = await round();
    expect(stale.told).toEqual([]);
    const standby = office(clock.now(), START);
    standby.endpoints[0].acting = false;
    await agents.beat(standby);
    expect((await round()).told).toEqual([]);
    expect(alerts.healthSent).toEqual([]);
  });

  it('an alert that could not be sent is not recorded as told: the next round tells it', async () => {
    const { agents, alerts, clock, round } = world();
    clock.advance(ENDPOINT_DOWN_AFTER_MS);
    await agents.beat(office(clock.now(), START));
    alerts.failNext = 1;
    expect((await round()).problems).toEqual(['endpoint#openvpn:office: Slack is down']);
    expect(agents.alerted.size).toBe(0);
    expect((await round()).told).toEqual(['cannot-serve openvpn:office']);
  });
});

describe("watchAgents: an agent's clock 10 s off is told once, and once when it is back", () => {
  it('alerts once on the skew the agent measured, and once when it is within 10 s again', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(office(clock.now(), undefined, { clockSkewS: -61 }));
    expect((await round()).told).toEqual(['clock-skewed vpn1']);
    expect((await round()).told).toEqual([]);
    await agents.beat(office(clock.now(), undefined, { clockSkewS: 2 }));
    expect((await round()).told).toEqual(['clock-back vpn1']);
    expect(alerts.healthSent).toEqual([
      { kind: 'clock-skewed', agentId: 'vpn1', host: 'vpn1.example.net', skewS: -61, measuredBy: 'reference' },
      { kind: 'clock-back', agentId: 'vpn1', host: 'vpn1.example.net', skewS: 2, measuredBy: 'reference' },
    ]);
  });

  it('tells a clock 12 s off, since two agents off in opposite directions add up past the lease margin', async () => {
    const { agents, alerts, round } = world();
    await agents.beat(office(START, undefined, { clockSkewS: 9 }));
    expect((await round()).told).toEqual([]);
    await agents.beat(office(START, undefined, { clockSkewS: -12 }));
    expect((await round()).told).toEqual(['clock-skewed vpn1']);
    await agents.beat({ ...heartbeat('vpn2', new Date(START.getTime() + 12_000)), endpoints: [] });
    expect((await round()).told).toEqual(['clock-skewed vpn2']);
    expect(alerts.healthSent).toMatchObject([
      { agentId: 'vpn1', skewS: -12, measuredBy: 'reference' },
      { agentId: 'vpn2', skewS: 12, measuredBy: 'heartbeat' },
    ]);
  });

  it("takes a heartbeat dated ahead of the bot's clock as skew, which its age would hide", async () => {
    const { agents, alerts, round } = world();
    await agents.beat(office(new Date(START.getTime() + 60_000)));
    expect((await round()).told).toEqual(['clock-skewed vpn1']);
    expect(alerts.healthSent[0]).toMatchObject({ kind: 'clock-skewed', skewS: 60, measuredBy: 'heartbeat' });
  });
});

describe('watchAgents: a kill that keeps failing is told once, and once when none is stuck', () => {
  function killWorld() {
    const { agents, alerts, clock } = world();
    const kills = new MemorySessionKillQueue();
    return { agents, alerts, clock, kills, round: () => watchAgents({ agents, alerts, clock, kills }) };
  }

  it(`alerts once for a kill failed ${KILL_STUCK_ATTEMPTS} times, keeps it queued, and once when it is done`, async () => {
    const { agents, alerts, clock, kills, round } = killWorld();
    const [kill] = await kills.request('openvpn:office', [{ connectionId: '7', commonName: 'alice' }], 'U0A', START);
    for (let i = 1; i < KILL_STUCK_ATTEMPTS; i++) await kills.failed(kill, 'the server did not end client 7', START);
    await agents.beat(office(clock.now()));
    expect((await round()).told).toEqual([]);
    await kills.failed(kill, 'the server did not end client 7', START);
    expect((await round()).told).toEqual(['kills-stuck openvpn:office']);
    expect((await round()).told).toEqual([]);
    expect(await kills.pending('openvpn:office')).toHaveLength(1);
    await kills.settle(kill, { state: 'done' }, clock.now());
    expect((await round()).told).toEqual(['kills-done openvpn:office']);
    expect(alerts.healthSent).toEqual([
      {
        kind: 'kills-stuck',
        endpoint: 'openvpn:office',
        agentId: 'vpn1',
        host: 'vpn1.example.net',
        kills: [
          {
            connectionId: '7',
            commonName: 'alice',
            requestedAt: START,
            attempts: KILL_STUCK_ATTEMPTS,
            lastError: 'the server did not end client 7',
          },
        ],
      },
      { kind: 'kills-done', endpoint: 'openvpn:office', agentId: 'vpn1', host: 'vpn1.example.net', kills: [] },
    ]);
  });

  it('alerts for a kill queued 10 minutes while its agent beats, but not for one whose agent is silent', async () => {
    const { agents, alerts, clock, kills, round } = killWorld();
    await kills.request('openvpn:office', [{ connectionId: '7' }], 'U0A', START);
    clock.advance(KILL_STUCK_AFTER_MS);
    expect((await round()).told).toEqual([]);
    await agents.beat(office(clock.now()));
    expect((await round()).told).toEqual(['kills-stuck openvpn:office']);
    expect(alerts.healthSent[0]).toMatchObject({ kills: [{ connectionId: '7', attempts: 0 }] });
  });
});

/** `agentId`'s heartbeat at `at` for openvpn:office, acting or on standby (`leaseError`: why it could not take the lease). */
function serving(agentId: string, at: Date, acting: boolean, leaseError?: { error: string; since: Date }) {
  const beat = heartbeat(agentId, at);
  beat.endpoints[0] = acting
    ? { ...beat.endpoints[0], acting }
    : {
        endpoint: 'openvpn:office',
        acting,
        health: {
          ok: false,
          detail: leaseError
            ? `cannot take the lease: ${leaseError.error}`
            : 'standing by: another agent holds the lease',
        },
        sessions: [],
        ...(leaseError && { leaseError: leaseError.error, unhealthySince: leaseError.since }),
      };
  return beat;
}

describe('watchAgents: two agents acting for one endpoint are told once, and once when one acts again', () => {
  it('names every fresh acting agent, newest heartbeat first, and tells once however many rounds see it', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(serving('vpn1', START, true));
    await agents.beat(serving('vpn2', START, false));
    // Stale: it says nothing about now.
    await agents.beat(serving('vpn3', new Date(START.getTime() - 2 * MINUTE_MS), true));
    expect((await round()).told).toEqual([]);
    await agents.beat(serving('vpn2', new Date(START.getTime() - 5_000), true));
    expect((await round()).told).toEqual(['two-acting openvpn:office']);
    expect((await round()).told).toEqual([]);
    clock.advance(15_000);
    await agents.beat(serving('vpn2', clock.now(), false));
    expect((await round()).told).toEqual(['one-acting openvpn:office']);
    expect(alerts.healthSent).toEqual([
      {
        kind: 'two-acting',
        endpoint: 'openvpn:office',
        agents: [
          { agentId: 'vpn1', host: 'vpn1.example.net' },
          { agentId: 'vpn2', host: 'vpn2.example.net' },
        ],
      },
      { kind: 'one-acting', endpoint: 'openvpn:office', agents: [{ agentId: 'vpn1', host: 'vpn1.example.net' }] },
    ]);
  });
});

describe('watchAgents: an endpoint no agent can take the lease of is told once, and once when an agent acts', () => {
  const refused = { error: 'AccessDeniedException: not authorized to perform dynamodb:PutItem', since: START };

  it('alerts after 5 minutes of lease errors with none acting, with the lease error and where to look', async () => {
    const { agents, alerts, clock, round } = world();
    await agents.beat(serving('vpn1', START, false, refused));
    expect((await round()).told).toEqual([]);
    clock.advance(ENDPOINT_DOWN_AFTER_MS);
    // Another agent acting for it, or one that only waits for a lease held: nothing to tell.
    await agents.beat(serving('vpn1', clock.now(), false, refused));
    await agents.beat(serving('vpn2', clock.now(), true));
    expect((await round()).told).toEqual([]);
    await agents.beat(serving('vpn2', clock.now(), false));
    expect((await round()).told).toEqual(['cannot-serve openvpn:office']);
    expect((await round()).told).toEqual([]);
    clock.advance(MINUTE_MS);
    await agents.beat(serving('vpn1', clock.now(), true));
    expect((await round()).told).toEqual(['serves-again openvpn:office']);
    expect(alerts.healthSent).toEqual([
      {
        kind: 'cannot-serve',
        endpoint: 'openvpn:office',
        agentId: 'vpn1',
        host: 'vpn1.example.net',
        reason: 'cannot take the lease: AccessDeniedException: not authorized to perform dynamodb:PutItem',
        fix: expect.stringMatching(/`agentEndpoints`.*journalctl -u vpnctl-agent/),
        at: START,
      },
      expect.objectContaining({ kind: 'serves-again', endpoint: 'openvpn:office', at: clock.now() }),
    ]);
  });
});
