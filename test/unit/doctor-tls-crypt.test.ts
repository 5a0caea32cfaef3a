import { AgentServedEndpoint } from '../../src/adapters/agent/endpoint';
import type { HandshakeOutcome, HandshakeProbe, HandshakeTarget } from '../../src/ports';
import { handshakeTarget, probeOnThisHost, tlsCryptChecks } from '../../src/services/doctor-tls-crypt';
import { MemoryAgentRegistry, MemoryCrlDistribution, MemorySessionKillQueue } from '../helpers/agent-fakes';

const NOW = new Date('2026-12-05T01:00:00Z');
const clock = { now: () => NOW };

class RecordingProbe implements HandshakeProbe {
  readonly sent: HandshakeTarget[] = [];
  constructor(private readonly result: HandshakeOutcome) {}
  isThisHost = (host: string) => host === '127.0.0.1';
  async probe(target: HandshakeTarget) {
    this.sent.push(target);
    return this.result;
  }
}

function agentServed(registry: MemoryAgentRegistry, remote = 'vpn.example.com 443 tcp') {
  return new AgentServedEndpoint({
    name: 'office',
    remote,
    caPem: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----',
    tlsCrypt: false,
    distribution: new MemoryCrlDistribution(),
    kills: new MemorySessionKillQueue(),
    registry,
    clock,
  });
}

describe('the tls-crypt probe: where it goes and who reports it', () => {
  it('reads host, port and protocol from the client configuration, as VPN_ENDPOINTS "remote" gives them', () => {
    expect(handshakeTarget('client\nproto udp\nremote 127.0.0.1 1194\n')).toEqual({
      host: '127.0.0.1',
      port: 1194,
      proto: 'udp',
    });
    expect(handshakeTarget('proto tcp-client\nremote vpn.example.com 443\n')).toMatchObject({
      proto: 'tcp',
      port: 443,
    });
    expect(handshakeTarget('client\n')).toBeUndefined();
    expect(handshakeTarget('remote h 99999\n')).toBeUndefined();
  });

  it('the agent probes its own host: a public name becomes loopback at the same port', async () => {
    const probe = new RecordingProbe({ outcome: 'silent', waitedMs: 2000 });
    const report = await probeOnThisHost(probe, agentServed(new MemoryAgentRegistry()), clock);
    expect(probe.sent).toEqual([{ host: '127.0.0.1', port: 443, proto: 'tcp' }]);
    expect(report).toEqual({ at: NOW, target: probe.sent[0], result: { outcome: 'silent', waitedMs: 2000 } });
  });

  it("doctor shows the agent's report for an agent-served endpoint, and never probes a host that is not this one", async () => {
    const registry = new MemoryAgentRegistry();
    const endpoint = agentServed(registry);
    const here = new RecordingProbe({ outcome: 'silent', waitedMs: 2000 });
    const run = async () =>
      (await Promise.all(tlsCryptChecks({ handshake: here, agents: registry, clock }, [endpoint])))[0][0];

    const unreported = await run();
    expect(unreported.status).toBe('warn');
    expect(unreported.fix).toMatch(/^Probe from the VPN host via the agent/);

    const beat = (at: Date, result: HandshakeOutcome) =>
      registry.beat({
        agentId: 'vpn1:office',
        host: 'vpn1',
        version: '1.0.0',
        at,
        endpoints: [
          {
            endpoint: endpoint.key,
            health: { ok: true, detail: 'up' },
            sessions: [],
            handshakeProbe: { at, target: { host: '127.0.0.1', port: 443, proto: 'tcp' }, result },
          },
        ],
      });
    await beat(NOW, { outcome: 'answered', opcode: 8 });
    const answered = await run();
    expect(answered.status).toBe('fail');
    expect(answered.detail).toContain('127.0.0.1:443/tcp answered a handshake that carried no tls-crypt key');
    expect(answered.detail).toContain('probed by agent vpn1:office on vpn1 at 2026-12-05T01:00:00Z');

    await beat(new Date(NOW.getTime() - 3 * 3_600_000), { outcome: 'silent', waitedMs: 2000 });
    const stale = await run();
    expect(stale.status).toBe('warn');
    expect(stale.detail).toMatch(/^not proven: the agent's last probe is older than 2 h/);
    expect(here.sent).toEqual([]);
  });
});
