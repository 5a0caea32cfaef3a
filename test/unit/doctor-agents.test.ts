import type { AgentHeartbeat } from '../../src/ports';
import { runDoctor } from '../../src/services/doctor';
import { agentChecks } from '../../src/services/doctor-agents';
import { MemoryAgentRegistry, SettableClock, heartbeat } from '../helpers/agent-ops-fakes';

const NOW = new Date('2026-12-04T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const acting = (beat: AgentHeartbeat, flags: boolean[]): AgentHeartbeat => ({
  ...beat,
  endpoints: beat.endpoints.map((report, i) => ({ ...report, acting: flags[i] })),
});

async function checks(...beats: AgentHeartbeat[]) {
  const agents = new MemoryAgentRegistry();
  for (const beat of beats) await agents.beat(beat);
  return agentChecks({ agents, clock: new SettableClock(NOW) });
}

describe('doctor: each agent and who acts for each agent-served endpoint', () => {
  it("shows each agent's heartbeat age, version and endpoints, and the lease holder per endpoint", async () => {
    const result = await checks(
      acting(heartbeat('vpn1', ago(10), ['openvpn:office', 'openvpn:lab']), [true, false]),
      acting(heartbeat('vpn2', ago(20), ['openvpn:lab']), [true]),
    );
    expect(result).toEqual([
      {
        name: 'agent vpn1',
        status: 'pass',
        detail:
          'on vpn1.example.net, version 0.1.0, last heartbeat 10 s ago (2026-12-04T11:59:50Z), serving openvpn:office (acting), openvpn:lab (standby)',
      },
      expect.objectContaining({ name: 'agent vpn2', status: 'pass' }),
      {
        name: 'openvpn:lab: agent',
        status: 'pass',
        detail: 'vpn2 on vpn2.example.net (20 s ago) holds the lease; standby: vpn1 on vpn1.example.net (10 s ago)',
      },
      { name: 'openvpn:office: agent', status: 'pass', detail: 'vpn1 on vpn1.example.net (10 s ago) holds the lease' },
    ]);
  });

  it('warns about a late agent, fails a silent one, and fails an endpoint no fresh agent serves', async () => {
    const result = await checks(heartbeat('late', ago(120), ['openvpn:a']), heartbeat('gone', ago(600), ['openvpn:b']));
    expect(result.map((check) => [check.name, check.status])).toEqual([
      ['agent gone', 'fail'],
      ['agent late', 'warn'],
      ['openvpn:a: agent', 'fail'],
      ['openvpn:b: agent', 'fail'],
    ]);
    expect(result[0].fix).toMatch(/systemctl status vpnctl-agent/);
    expect(result[2].detail).toMatch(/no agent has reported it within 90 s .*logins get no answer/);
  });

  it('fails an endpoint two agents act for, and warns when every agent stands by', async () => {
    const result = await checks(
      acting(heartbeat('vpn1', ago(5), ['openvpn:a', 'openvpn:b']), [true, false]),
      acting(heartbeat('vpn2', ago(5), ['openvpn:a', 'openvpn:b']), [true, false]),
    );
    expect(result.slice(2).map((check) => [check.name, check.status])).toEqual([
      ['openvpn:a: agent', 'fail'],
      ['openvpn:b: agent', 'warn'],
    ]);
  });

  it('fails an endpoint whose agents cannot take its lease, with the lease error in place of "passes within a minute"', async () => {
    const beat = heartbeat('vpn1', ago(5), ['openvpn:a']);
    beat.endpoints[0] = {
      endpoint: 'openvpn:a',
      acting: false,
      health: { ok: false, detail: 'cannot take the lease: AccessDeniedException: not authorized' },
      sessions: [],
      unhealthySince: ago(600),
      leaseError: 'AccessDeniedException: not authorized',
    };
    const [, endpoint] = await checks(beat);
    expect(endpoint).toEqual({
      name: 'openvpn:a: agent',
      status: 'fail',
      detail:
        'served by vpn1 on vpn1.example.net (5 s ago), all on standby: none can take the lease ' +
        '(vpn1: AccessDeniedException: not authorized): its logins get no answer',
      fix: expect.stringMatching(/`agentEndpoints`/),
    });
    expect(endpoint.fix).not.toMatch(/within a minute/);
  });

  it("warns about an agent's clock 12 s off: two agents off in opposite directions add up", async () => {
    const [fine] = await checks({ ...heartbeat('vpn1', ago(5)), clockSkewS: 9 });
    expect(fine.status).toBe('pass');
    const [off] = await checks({ ...heartbeat('vpn1', ago(5)), clockSkewS: -12 });
    expect(off).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/its clock 12 s behind its time reference: clock off$/),
    });
  });

  it('runDoctor adds the agent lines only when it is given the registry, and a registry that throws is one failed line', async () => {
    const base = {
      crlState: {} as never,
      endpoints: [],
      clock: new SettableClock(NOW),
      policy: { renewBeforeDays: 30, publishMode: 'immediate' as const, certDays: 365 },
      requiredScopes: [],
      database: { probe: async () => 'ok' },
    };
    const agents = new MemoryAgentRegistry();
    await agents.beat(heartbeat('vpn1', ago(1)));
    const names = async (deps: Parameters<typeof runDoctor>[0]) => (await runDoctor(deps)).map((check) => check.name);
    expect(await names(base)).not.toContain('agent vpn1');
    expect(await names({ ...base, agents })).toEqual(expect.arrayContaining(['agent vpn1', 'openvpn:office: agent']));
    agents.list = async () => {
      throw new Error('table unreachable');
    };
    expect((await runDoctor({ ...base, agents })).find((check) => check.name === 'VPN agents')).toMatchObject({
      status: 'fail',
      detail: 'table unreachable',
    });
  });
});
