import { AddressInfo, Server, Socket, createServer } from 'node:net';
import { OpenVpnConnectBridge, OpenVpnConnectBridgeOptions } from '../../src/adapters/openvpn/connect-bridge';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { ManagementClient } from '../../src/adapters/openvpn/management';
import { ConnectDecision, ConnectRequest, deny } from '../../src/domain/approval';
import { onLines } from '../helpers/lines';

const BANNER = ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info";

/** What OpenVPN 2.6 sends for a real client (values from a 2.6.14 server, trimmed to the ones the bridge reads and a few it must skip). */
const JANE_ENV = [
  'n_clients=0',
  'IV_VER=2.6.14',
  'IV_PLAT=linux',
  'IV_PLAT_VER=6.8.0',
  'IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
  'untrusted_ip=203.0.113.9',
  'untrusted_port=51820',
  'common_name=jane-doe-U0JANE.vpn.test',
  'tls_id_0=CN=jane-doe-U0JANE.vpn.test',
  'X509_0_CN=jane-doe-U0JANE.vpn.test',
];

const JANE_REQUEST: ConnectRequest = {
  connectionId: '7',
  endpointId: 'openvpn:office',
  commonName: 'jane-doe-U0JANE.vpn.test',
  publicIp: '203.0.113.9',
  platform: 'linux',
  platformVersion: '6.8.0',
  clientVersion: '2.6.14',
};

const ALLOW: ConnectDecision = { allow: true, reason: 'approved', message: '' };

const block = (header: string, env: string[]) => [
  header,
  ...env.map((entry) => `>CLIENT:ENV,${entry}`),
  '>CLIENT:ENV,END',
];
const connectBlock = (cid: number, kid: number, env: string[]) => block(`>CLIENT:CONNECT,${cid},${kid}`, env);
const crlf = (lines: string[]) => lines.map((line) => `${line}\r\n`).join('');

interface FakeManagement {
  address: string;
  /** Every command line received, in order. */
  commands: string[];
  /** Write notification lines to the connected management client. */
  send(lines: string[]): void;
  /** Resolves once `count` commands have arrived. */
  commandCount(count: number): Promise<string[]>;
}

const servers: Server[] = [];
const peers = new Set<Socket>();
const clients: ManagementClient[] = [];
const bridges: OpenVpnConnectBridge[] = [];

/** A management interface on 127.0.0.1 answering client-auth-nt and client-deny like OpenVPN 2.6, except for commands in `failing`. */
async function fakeManagement(failing: (command: string) => boolean = () => false): Promise<FakeManagement> {
  const commands: string[] = [];
  const waiters: (() => void)[] = [];
  let peer: Socket | undefined;
  const server = createServer((socket) => {
    peer = socket;
    peers.add(socket);
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('close', () => peers.delete(socket));
    socket.write(`${BANNER}\r\n`);
    onLines(socket, (command) => {
      commands.push(command);
      socket.write(`${reply(command, failing(command))}\r\n`);
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    commands,
    send: (lines) => peer!.write(crlf(lines)),
    async commandCount(count) {
      while (commands.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return commands;
    },
  };
}

function reply(command: string, fail: boolean): string {
  const verb = command.split(' ')[0];
  if (verb === 'client-auth-nt')
    return fail ? 'ERROR: client-auth command failed' : 'SUCCESS: client-auth command succeeded';
  if (verb === 'client-deny')
    return fail ? 'ERROR: client-deny command failed' : 'SUCCESS: client-deny command succeeded';
  if (verb === 'pid') return 'SUCCESS: pid=4242';
  return "ERROR: unknown command, enter 'help' for more options";
}

interface Started {
  fake: FakeManagement;
  management: ManagementClient;
  bridge: OpenVpnConnectBridge;
  requests: ConnectRequest[];
  logged: { message: string; error?: unknown }[];
}

/** A bridge on a fresh fake, recording what `decide` was asked and what was logged. */
async function startBridge(
  options: Partial<Pick<OpenVpnConnectBridgeOptions, 'decide' | 'reauth'>> & {
    failing?: (command: string) => boolean;
  } = {},
): Promise<Started> {
  const fake = await fakeManagement(options.failing);
  const management = await ManagementClient.connect(fake.address, { timeoutMs: 2000 });
  clients.push(management);
  const requests: ConnectRequest[] = [];
  const logged: { message: string; error?: unknown }[] = [];
  const decide = options.decide ?? (async () => ALLOW);
  const bridge = new OpenVpnConnectBridge({
    endpointId: 'openvpn:office',
    reauth: options.reauth,
    log: (message, error) => logged.push({ message, error }),
    management,
    decide: (request) => {
      requests.push(request);
      return decide(request);
    },
  });
  bridges.push(bridge);
  bridge.start();
  return { fake, management, bridge, requests, logged };
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  bridges.splice(0).forEach((bridge) => bridge.stop());
  await Promise.all(clients.splice(0).map((client) => client.close()));
  peers.forEach((peer) => peer.destroy());
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

describe('OpenVpnConnectBridge', () => {
  it('maps a CONNECT block to a ConnectRequest and allows it with exactly "client-auth-nt CID KID"', async () => {
    const { fake, requests } = await startBridge();
    fake.send(connectBlock(7, 1, JANE_ENV));
    expect(await fake.commandCount(1)).toEqual(['client-auth-nt 7 1']);
    expect(requests).toEqual([JANE_REQUEST]);
  });

  it('maps missing fields to empty strings, takes untrusted_ip6 without an IPv4 address, and keeps "=" and "," inside values', async () => {
    const { fake, requests } = await startBridge();
    fake.send(connectBlock(12, 0, ['common_name=odd,name=with-equals', 'untrusted_ip6=2001:db8::7']));
    await fake.commandCount(1);
    expect(requests).toEqual([
      {
        connectionId: '12',
        endpointId: 'openvpn:office',
        commonName: 'odd,name=with-equals',
        publicIp: '2001:db8::7',
        platform: '',
        platformVersion: '',
        clientVersion: '',
      },
    ]);

    fake.send(connectBlock(13, 0, []));
    await fake.commandCount(2);
    expect(requests[1]).toEqual({
      connectionId: '13',
      endpointId: 'openvpn:office',
      commonName: '',
      publicIp: '',
      platform: '',
      platformVersion: '',
      clientVersion: '',
    });
  });

  it('denies with the reason for the server log and the message for the client, made safe to quote', async () => {
    const { fake } = await startBridge({
      decide: async () => deny('denied-by-owner', 'Jane said "no"\r\nto C:\\vpn\ttoday\u0007'),
    });
    fake.send(connectBlock(7, 1, JANE_ENV));
    expect(await fake.commandCount(1)).toEqual(['client-deny 7 1 "denied-by-owner" "Jane said no to C:vpn today"']);
  });

  it('caps the client message below the 256-byte limit OpenVPN puts on one parameter, without splitting a character', async () => {
    const { fake } = await startBridge({ decide: async () => deny('denied-by-owner', 'é'.repeat(250)) });
    fake.send(connectBlock(7, 1, JANE_ENV));
    const [command] = await fake.commandCount(1);
    const message = /^client-deny 7 1 "denied-by-owner" "(.*)"$/.exec(command)?.[1];
    expect(message).toBe('é'.repeat(100));
  });

  it('decides clients concurrently: a slow approval does not hold up the next client', async () => {
    const slow = deferred<ConnectDecision>();
    const { fake, requests } = await startBridge({
      decide: (request) =>
        request.connectionId === '1' ? slow.promise : Promise.resolve(deny('denied-by-owner', 'Not you')),
    });
    fake.send([...connectBlock(1, 0, JANE_ENV), ...connectBlock(2, 0, ['common_name=bob-U0BOB.vpn.test'])]);

    expect(await fake.commandCount(1)).toEqual(['client-deny 2 0 "denied-by-owner" "Not you"']);
    expect(requests.map((request) => request.connectionId)).toEqual(['1', '2']);
    slow.resolve(ALLOW);
    expect(await fake.commandCount(2)).toEqual(['client-deny 2 0 "denied-by-owner" "Not you"', 'client-auth-nt 1 0']);
  });

  it('fails closed: a decide that throws denies with a generic message and is logged', async () => {
    const { fake, logged } = await startBridge({
      decide: async () => {
        throw new Error('DynamoDB is down');
      },
    });
    fake.send(connectBlock(7, 1, JANE_ENV));
    expect(await fake.commandCount(1)).toEqual([
      'client-deny 7 1 "error" "Login approval is unavailable right now; try again in a few minutes."',
    ]);
    expect(logged).toEqual([
      {
        message: expect.stringMatching(
          /openvpn:office.*connection 7 of jane-doe-U0JANE\.vpn\.test failed, so it is denied/,
        ),
        error: new Error('DynamoDB is down'),
      },
    ]);
  });

  it('answers REAUTH from the certificate status alone, without asking the person again', async () => {
    const asked: string[] = [];
    const { fake, requests } = await startBridge({
      reauth: async (commonName) => {
        asked.push(commonName);
        return commonName === 'jane-doe-U0JANE.vpn.test';
      },
    });
    fake.send(block('>CLIENT:REAUTH,7,2', JANE_ENV));
    fake.send(block('>CLIENT:REAUTH,8,3', ['common_name=bob-U0BOB.vpn.test']));
    expect(await fake.commandCount(2)).toEqual([
      'client-auth-nt 7 2',
      'client-deny 8 3 "reauth-refused" "Your certificate is no longer active; ask an admin for a new one."',
    ]);
    expect(asked).toEqual(['jane-doe-U0JANE.vpn.test', 'bob-U0BOB.vpn.test']);
    expect(requests).toEqual([]);
  });

  it('denies REAUTH when no reauth check is configured or the check throws', async () => {
    const { fake } = await startBridge();
    fake.send(block('>CLIENT:REAUTH,7,2', JANE_ENV));
    expect(await fake.commandCount(1)).toEqual([expect.stringMatching(/^client-deny 7 2 "reauth-refused" /)]);

    const throwing = await startBridge({
      reauth: async () => {
        throw new Error('store unreachable');
      },
    });
    throwing.fake.send(block('>CLIENT:REAUTH,9,4', JANE_ENV));
    expect(await throwing.fake.commandCount(1)).toEqual([expect.stringMatching(/^client-deny 9 4 "reauth-refused" /)]);
    expect(throwing.logged).toEqual([
      {
        message: expect.stringMatching(/checking jane-doe-U0JANE\.vpn\.test on renegotiation failed/),
        error: new Error('store unreachable'),
      },
    ]);
  });

  it('skips ESTABLISHED, DISCONNECT, ADDRESS and other notifications without mixing their ENV into a CONNECT', async () => {
    const { fake, requests } = await startBridge();
    const [header, ...janeEnv] = connectBlock(7, 1, JANE_ENV);
    fake.send([
      ...block('>CLIENT:ESTABLISHED,3', ['common_name=bob-U0BOB.vpn.test', 'untrusted_ip=198.51.100.7', 'IV_PLAT=win']),
      '>CLIENT:ADDRESS,3,10.213.0.3,1',
      header,
      ...janeEnv.slice(0, 3),
      // OpenVPN writes a block in one go, but a stray line inside one must not end it.
      '>BYTECOUNT_CLI:3,3408,3458',
      ...janeEnv.slice(3),
      ...block('>CLIENT:DISCONNECT,3', [
        'common_name=bob-U0BOB.vpn.test',
        'untrusted_ip=198.51.100.7',
        'bytes_received=3408',
      ]),
      '>LOG:1795328076,I,MULTI: primary virtual IP for bob-U0BOB.vpn.test: 10.213.0.3',
      ...connectBlock(8, 0, ['common_name=carol-U0CAROL.vpn.test']),
    ]);
    expect(await fake.commandCount(2)).toEqual(['client-auth-nt 7 1', 'client-auth-nt 8 0']);
    expect(requests).toEqual([
      JANE_REQUEST,
      {
        connectionId: '8',
        endpointId: 'openvpn:office',
        commonName: 'carol-U0CAROL.vpn.test',
        publicIp: '',
        platform: '',
        platformVersion: '',
        clientVersion: '',
      },
    ]);
  });

  it('logs a refused client-auth-nt (the client already left) instead of throwing, and keeps answering', async () => {
    const { fake, logged } = await startBridge({ failing: (command) => command === 'client-auth-nt 7 1' });
    fake.send([...connectBlock(7, 1, JANE_ENV), ...connectBlock(8, 0, JANE_ENV)]);
    expect(await fake.commandCount(2)).toEqual(['client-auth-nt 7 1', 'client-auth-nt 8 0']);
    await delay(20);
    expect(logged).toEqual([
      {
        message: expect.stringMatching(/answering client 7 failed/),
        error: expect.objectContaining({ reply: 'ERROR: client-auth command failed' }),
      },
    ]);
  });

  it('logs, without an unhandled rejection, an answer that finds the management connection closed', async () => {
    const slow = deferred<ConnectDecision>();
    const { fake, management, logged } = await startBridge({ decide: () => slow.promise });
    fake.send(connectBlock(7, 1, JANE_ENV));
    await delay(20);
    await management.close();
    slow.resolve(ALLOW);
    await delay(20);
    expect(logged).toEqual([
      {
        message: expect.stringMatching(/answering client 7 failed/),
        error: expect.objectContaining({ message: expect.stringMatching(/disconnected by close\(\)/) }),
      },
    ]);
  });

  it('survives a logger that throws', async () => {
    const slow = deferred<ConnectDecision>();
    const fake = await fakeManagement(() => true);
    const management = await ManagementClient.connect(fake.address);
    clients.push(management);
    const bridge = new OpenVpnConnectBridge({
      management,
      endpointId: 'openvpn:office',
      decide: () => slow.promise,
      log: () => {
        throw new Error('logger bug');
      },
    });
    bridges.push(bridge);
    bridge.start();
    fake.send(connectBlock(7, 1, JANE_ENV));
    await delay(20);
    slow.resolve(ALLOW);
    expect(await fake.commandCount(1)).toEqual(['client-auth-nt 7 1']);
    await delay(20);
  });

  it('stops listening on stop()', async () => {
    const { fake, bridge, management, requests } = await startBridge();
    bridge.stop();
    fake.send(connectBlock(7, 1, JANE_ENV));
    expect(await management.command('pid')).toEqual(['SUCCESS: pid=4242']);
    expect(requests).toEqual([]);
    expect(fake.commands).toEqual(['pid']);
  });

  it('shares its connection with an OpenVpnEndpoint, whose commands take turns with the answers', async () => {
    const slow = deferred<ConnectDecision>();
    const { fake, management } = await startBridge({ decide: () => slow.promise });
    const endpoint = new OpenVpnEndpoint({
      name: 'office',
      management: fake.address,
      crlFile: '/nonexistent/crl.pem',
      remote: '127.0.0.1 1194',
      caPem: 'CA',
      shared: management,
    });
    fake.send(connectBlock(7, 1, JANE_ENV));
    const health = await endpoint.health();
    expect(health.detail).toMatch(/management interface at .* answers \(pid=4242\)/);
    slow.resolve(ALLOW);
    expect(await fake.commandCount(2)).toEqual(['pid', 'client-auth-nt 7 1']);
    // Still the one connection: the endpoint does not close what it does not own.
    expect(await management.command('pid')).toEqual(['SUCCESS: pid=4242']);
  });
});
