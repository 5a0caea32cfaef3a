import { Agent } from '../../src/agent/agent';
import type { TimeReference } from '../../src/ports';
import { loadCaCertificate } from '../../src/pki/ca';
import { watchAgents } from '../../src/services/agent-watch';
import { agentChecks } from '../../src/services/doctor-agents';
import { testCa } from '../helpers/ca';
import { RecordingAgentAlerts } from '../helpers/agent-ops-fakes';
import {
  MemoryAgentRegistry,
  MemoryCrlDistribution,
  MemoryEndpointLease,
  MemorySessionKillQueue,
  MemoryShippedLog,
  RecordingAlerts,
  RecordingLog,
  TestClock,
} from '../helpers/agent-runtime-fakes';

/** A reference `offsetS` behind `clock` (the agent's clock runs `offsetS` ahead), on whole seconds like a Date header. */
function reference(clock: TestClock, offsetS: () => number): TimeReference {
  return {
    source: 'Slack (test)',
    now: async () => new Date(Math.floor((clock.now().getTime() - offsetS() * 1000) / 1000) * 1000),
  };
}

/** An agent serving no endpoint, on in-memory stores: what is left is its clock watch and its heartbeat. */
async function clockOnlyAgent(clock: TestClock, registry: MemoryAgentRegistry, log: RecordingLog, time: TimeReference) {
  return new Agent({
    agentId: 'vpn1',
    host: 'vpn1.example.net',
    version: 'test',
    endpoints: [],
    stores: {
      crlDistribution: new MemoryCrlDistribution(),
      sessionKills: new MemorySessionKillQueue(),
      agentRegistry: registry,
      endpointLease: new MemoryEndpointLease(() => clock.now().getTime()),
      shippedLog: new MemoryShippedLog(),
      certificates: {} as never,
      audit: {} as never,
    },
    ca: loadCaCertificate((await testCa()).certPem),
    approvals: { decide: async () => ({ allow: false }) as never, reauth: async () => false },
    alerts: new RecordingAlerts(),
    clock,
    log,
    time,
  });
}

describe("the agent's clock: measured against its time reference, carried in the heartbeat, shown and alerted", () => {
  it('a reference 60 s off: the heartbeat carries the skew, doctor warns, the log and the admins hear once each', async () => {
    // On a whole second, so the Date header's truncation does not move the measurement.
    const clock = new TestClock(new Date('2026-12-04T12:00:00Z'));
    let offsetS = 60;
    const registry = new MemoryAgentRegistry();
    const log = new RecordingLog();
    const agent = await clockOnlyAgent(
      clock,
      registry,
      log,
      reference(clock, () => offsetS),
    );
    const alerts = new RecordingAgentAlerts();
    const watch = () => watchAgents({ agents: registry, alerts, clock });

    await agent.round();
    expect(registry.beats.at(-1)?.clockSkewS).toBeCloseTo(59.5, 1);
    const [line] = await agentChecks({ agents: registry, clock });
    expect(line).toMatchObject({ name: 'agent vpn1', status: 'warn', fix: expect.stringMatching(/timedatectl/) });
    expect(line.detail).toMatch(/its clock 60 s ahead of its time reference: clock off$/);
    expect((await watch()).told).toEqual(['clock-skewed vpn1']);

    clock.advance(15_000);
    await agent.round();
    expect((await watch()).told).toEqual([]);
    expect(log.lines.filter((entry) => /clock/.test(entry.message))).toEqual([
      { level: 'warn', message: expect.stringMatching(/^this host's clock is 60 s ahead of Slack \(test\)/) },
    ]);

    offsetS = 0;
    clock.advance(15_000);
    await agent.round();
    expect((await agentChecks({ agents: registry, clock }))[0]).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/its clock within 1 s of its time reference$/),
    });
    expect((await watch()).told).toEqual(['clock-back vpn1']);
    expect(log.lines.filter((entry) => /clock/.test(entry.message)).map((entry) => entry.level)).toEqual([
      'warn',
      'info',
    ]);
    expect(alerts.healthSent.map((alert) => alert.kind)).toEqual(['clock-skewed', 'clock-back']);
  });

  it('a reference that stops answering: the heartbeat drops the old skew rather than repeat it, and the log says so', async () => {
    const clock = new TestClock(new Date('2026-12-04T12:00:00Z'));
    const registry = new MemoryAgentRegistry();
    const log = new RecordingLog();
    let answering = true;
    const time = reference(clock, () => 60);
    const agent = await clockOnlyAgent(clock, registry, log, {
      source: time.source,
      now: () => (answering ? time.now() : Promise.reject(new Error('getaddrinfo ENOTFOUND slack.com'))),
    });
    await agent.round();
    expect(registry.beats.at(-1)?.clockSkewS).toBeCloseTo(59.5, 1);

    answering = false;
    for (let hour = 1; hour <= 2; hour++) {
      clock.advance(60 * 60_000);
      await agent.round();
      expect(registry.beats.at(-1)).not.toHaveProperty('clockSkewS');
    }
    expect(log.lines.filter((entry) => /clock/.test(entry.message)).slice(1)).toEqual([
      {
        level: 'warn',
        message:
          "could not measure this host's clock against Slack (test): getaddrinfo ENOTFOUND slack.com; the heartbeat " +
          'carries no clock skew until it can',
      },
    ]);
  });

  it("doctor reports a heartbeat dated ahead of the bot's clock as skew, and fails one 5 minutes ahead", async () => {
    const clock = new TestClock(new Date('2026-12-04T12:00:00Z'));
    const registry = new MemoryAgentRegistry();
    const beat = (aheadS: number) => ({
      agentId: 'vpn1',
      host: 'vpn1.example.net',
      version: 'test',
      at: new Date(clock.now().getTime() + aheadS * 1000),
      endpoints: [],
    });
    await registry.beat(beat(45));
    const [ahead] = await agentChecks({ agents: registry, clock });
    expect(ahead).toMatchObject({ status: 'warn' });
    expect(ahead.detail).toMatch(/heartbeat dated 45 s ahead of this clock \(one of the two is off\): clock off$/);
    await registry.beat(beat(300));
    expect((await agentChecks({ agents: registry, clock }))[0].status).toBe('fail');
  });
});
