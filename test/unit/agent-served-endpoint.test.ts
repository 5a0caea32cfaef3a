import { ServedEndpoint } from '../../src/agent/served-endpoint';
import { encodeCn } from '../../src/domain/cn';
import { VpnChatopsError } from '../../src/domain/errors';
import { DEFAULT_POLICY, decideConnection } from '../../src/services/decide-connection';
import { Clock, systemClock } from '../../src/ports';
import { eventually } from '../helpers/eventually';
import {
  FakeOpenVpnEndpoint,
  MemoryEndpointLease,
  RecordingLog,
  TestClock,
  fakeManagement,
} from '../helpers/agent-runtime-fakes';

/** Every store call fails, as when DynamoDB cannot be reached. */
const unreachable: never = new Proxy(
  {},
  {
    get: () => () => Promise.reject(new VpnChatopsError('STORE_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:8000')),
  },
) as never;

const CN = encodeCn({ displayName: 'Jane Doe', slackId: 'U0JANE', domain: 'vpn.test' });

describe('ServedEndpoint: the lease, the management connection and the approval bridge', () => {
  let management: Awaited<ReturnType<typeof fakeManagement>>;
  let served: ServedEndpoint | undefined;

  beforeEach(async () => {
    management = await fakeManagement();
  });
  afterEach(async () => {
    await served?.stop();
    await management.close();
  });

  const serve = (
    lease: MemoryEndpointLease,
    agentId: string,
    log: RecordingLog,
    clock: Clock = new TestClock(),
    table: { stores: never; timeoutMs?: number } = { stores: unreachable },
  ) =>
    new ServedEndpoint({
      setup: { key: 'openvpn:office', management: management.address, endpoint: () => new FakeOpenVpnEndpoint() },
      agentId,
      lease,
      leaseTtlMs: 30_000,
      approvals: {
        decide: (request) =>
          decideConnection(
            {
              certificates: table.stores,
              approvals: table.stores,
              audit: table.stores,
              idempotency: table.stores,
              notifier: table.stores,
              clock,
              policy: {
                ...DEFAULT_POLICY,
                certDomain: 'vpn.test',
                ...(table.timeoutMs !== undefined && { timeoutMs: table.timeoutMs, closingMs: 200 }),
              },
            },
            request,
          ),
        reauth: async () => false,
      },
      clock,
      log,
      reconnectBackoffMs: [10, 20],
    });

  it('denies with a message (never allows) when the table cannot be reached, and again after a reconnect', async () => {
    const log = new RecordingLog();
    served = serve(new MemoryEndpointLease(), 'vpn1', log);
    await served.renewLease();
    await served.linked(5_000);
    expect(served.acting).toBe(true);
    expect(served.answeringLogins).toBe(true);

    management.ask(1, CN);
    const deny = await eventually(() => management.commands.find((c) => c.startsWith('client-deny 1 0')), 'the answer');
    expect(deny).toMatch(/^client-deny 1 0 "error" "The VPN could not check your login just now, so it was refused\./);
    expect(management.commands.some((c) => c.startsWith('client-auth'))).toBe(false);

    // A server restart: the connection drops, the link notices and connects again, and the bridge answers there.
    management.drop();
    await eventually(() => log.at('warn').find((line) => line.includes('lost the management connection')), 'the drop');
    await eventually(
      () => log.at('info').filter((line) => line.includes('connected to the management')).length === 2,
      'the reconnect',
    );
    management.ask(2, CN);
    await eventually(
      () => management.commands.find((c) => c.startsWith('client-deny 2 0 "error"')),
      'the answer after the reconnect',
    );
    expect(management.commands.some((c) => c.startsWith('client-auth'))).toBe(false);
  });

  it('denies with a message by its deadline when the table does not answer at all', async () => {
    const hanging = new Proxy({}, { get: () => () => new Promise(() => undefined) }) as never;
    served = serve(new MemoryEndpointLease(), 'vpn1', new RecordingLog(), systemClock, {
      stores: hanging,
      timeoutMs: 300,
    });
    await served.renewLease();
    await served.linked(5_000);
    management.ask(3, CN);
    const deny = await eventually(() => management.commands.find((c) => c.startsWith('client-deny 3 0')), 'the answer');
    expect(deny).toMatch(/^client-deny 3 0 "error" "The VPN could not check your login just now/);
    expect(management.commands.some((c) => c.startsWith('client-auth'))).toBe(false);
  });

  it('stands by while another agent holds the lease, and takes over when it is released', async () => {
    const lease = new MemoryEndpointLease();
    await lease.acquire('openvpn:office', 'vpn2', 30_000);
    const log = new RecordingLog();
    served = serve(lease, 'vpn1', log);
    await served.renewLease();
    await served.renewLease();
    expect(served.acting).toBe(false);
    expect(management.connections()).toBe(0);
    expect(log.at('info')).toEqual([
      'openvpn:office: another agent holds the lease; standing by to take over when it lapses',
    ]);

    await lease.release('openvpn:office', 'vpn2');
    await served.renewLease();
    await served.linked(5_000);
    expect(served.acting).toBe(true);
    expect(lease.holder('openvpn:office')).toMatch(/^vpn1#/);

    await served.stop();
    expect(served.acting).toBe(false);
    expect(lease.holder('openvpn:office')).toBeUndefined();
    await eventually(() => management.connections() === 0, 'the management connection closed');
  });

  it('keeps answering (denying) logins while the lease cannot be renewed, rather than leave clients waiting', async () => {
    const lease = new MemoryEndpointLease();
    const log = new RecordingLog();
    served = serve(lease, 'vpn1', log);
    await served.renewLease();
    await served.linked(5_000);
    lease.failing = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    await expect(served.renewLease()).rejects.toThrow('ECONNREFUSED');
    expect(served.answeringLogins).toBe(true);
  });

  it('remembers why the lease cannot be taken and since when, until the lease is taken', async () => {
    const lease = new MemoryEndpointLease();
    const clock = new TestClock();
    served = serve(lease, 'vpn1', new RecordingLog(), clock);
    const first = clock.now();
    lease.failing = new Error('AccessDeniedException: not authorized to perform dynamodb:PutItem');
    await expect(served.renewLease()).rejects.toThrow('AccessDeniedException');
    clock.advance(10_000);
    lease.failing = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    await expect(served.renewLease()).rejects.toThrow('ECONNREFUSED');
    expect(served.acting).toBe(false);
    expect(served.leaseError).toEqual({ error: 'connect ECONNREFUSED 127.0.0.1:8000', since: first });

    lease.failing = undefined;
    await served.renewLease();
    expect(served.leaseError).toBeUndefined();
    expect(served.acting).toBe(true);
  });
});
