import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import { join } from 'node:path';
import { openvpnClientBase } from '../../src/adapters/openvpn/client-base';
import { OpenVpnEndpoint, sessionsFromStatus } from '../../src/adapters/openvpn/endpoint';
import { ManagementClient } from '../../src/adapters/openvpn/management';
import { VpnChatopsError } from '../../src/domain/errors';
import { freeTcpPort } from '../helpers/openvpn';
import { tempDir } from '../helpers/tools';
import { onLines } from '../helpers/lines';

const BANNER = ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info";

/** `status 3` from a real OpenVPN 2.6.14 server with two clients (second row hand-added), without the END line. */
const STATUS_3 = [
  'TITLE\tOpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]',
  'TIME\t2026-11-22 06:14:36\t1795328076',
  'HEADER\tCLIENT_LIST\tCommon Name\tReal Address\tVirtual Address\tVirtual IPv6 Address\tBytes Received\tBytes Sent\tConnected Since\tConnected Since (time_t)\tUsername\tClient ID\tPeer ID\tData Channel Cipher',
  'CLIENT_LIST\tjane-doe-U0JANE.vpn.test\t127.0.0.1:48658\t10.213.0.2\t\t3408\t3458\t2026-11-22 06:14:36\t1795328076\tUNDEF\t0\t0\tAES-256-GCM',
  'CLIENT_LIST\tbob-U0BOB.vpn.test\t198.51.100.7:1194\t10.213.0.3\t\t9120\t4711\t2026-11-22 06:10:02\t1795327802\tUNDEF\t5\t1\tAES-256-GCM',
  'HEADER\tROUTING_TABLE\tVirtual Address\tCommon Name\tReal Address\tLast Ref\tLast Ref (time_t)',
  'ROUTING_TABLE\t10.213.0.2\tjane-doe-U0JANE.vpn.test\t127.0.0.1:48658\t2026-11-22 06:14:36\t1795328076',
  'ROUTING_TABLE\t10.213.0.3\tbob-U0BOB.vpn.test\t198.51.100.7:1194\t2026-11-22 06:14:30\t1795328070',
  'GLOBAL_STATS\tMax bcast/mcast queue length\t0',
  'GLOBAL_STATS\tdco_enabled\t0',
];

const STATUS_3_SESSIONS = [
  {
    connectionId: '0',
    commonName: 'jane-doe-U0JANE.vpn.test',
    clientIp: '127.0.0.1',
    connectedAt: new Date(1795328076 * 1000),
  },
  {
    connectionId: '5',
    commonName: 'bob-U0BOB.vpn.test',
    clientIp: '198.51.100.7',
    connectedAt: new Date(1795327802 * 1000),
  },
];

const CLIENT_CONNECT_BLOCK = [
  '>CLIENT:CONNECT,7,1',
  '>CLIENT:ENV,common_name=jane-doe-U0JANE.vpn.test',
  '>CLIENT:ENV,untrusted_ip=127.0.0.1',
  '>CLIENT:ENV,END',
];

const crlf = (lines: string[]) => lines.map((line) => `${line}\r\n`).join('');
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How the fake answers one command line; `peer` is the connection it came in on. */
type Script = (command: string, peer: Socket) => void;

interface FakeManagement {
  address: string;
  /** Every command line received, in order. */
  commands: string[];
  /** Connections that have ended, so tests can see the client hung up. */
  closedConnections(): number;
}

const servers: Server[] = [];
const peers = new Set<Socket>();
const clients: ManagementClient[] = [];

/**
 * A management interface speaking OpenVPN's line protocol (CRLF, like the real one) on 127.0.0.1.
 * `greeting` is written verbatim on connect instead of the usual banner line.
 */
async function fakeManagement(script: Script, options: { greeting?: string } = {}): Promise<FakeManagement> {
  const commands: string[] = [];
  let closed = 0;
  const server = createServer((peer) => {
    peers.add(peer);
    peer.setEncoding('utf8');
    peer.on('error', () => undefined);
    peer.on('close', () => {
      peers.delete(peer);
      closed++;
    });
    const greeting = options.greeting ?? `${BANNER}\r\n`;
    if (greeting !== '') peer.write(greeting);
    onLines(peer, (command) => {
      commands.push(command);
      script(command, peer);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, commands, closedConnections: () => closed };
}

async function connect(address: string, timeoutMs?: number): Promise<ManagementClient> {
  const client = await ManagementClient.connect(address, { timeoutMs });
  clients.push(client);
  return client;
}

async function rejection(promise: Promise<unknown>): Promise<VpnChatopsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VpnChatopsError) return error;
    throw new Error(`expected a VpnChatopsError, got: ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Replies the way OpenVPN does to the commands these tests use. */
const openvpnLike: Script = (command, peer) => {
  if (command === 'pid') peer.write('SUCCESS: pid=4242\r\n');
  else if (command === 'status 3') peer.write(crlf([...STATUS_3, 'END']));
  else if (command.startsWith('client-kill '))
    peer.write(
      command === 'client-kill 7 HALT'
        ? 'ERROR: client-kill command failed\r\n'
        : 'SUCCESS: client-kill command succeeded\r\n',
    );
  else peer.write("ERROR: unknown command, enter 'help' for more options\r\n");
};

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  peers.forEach((peer) => peer.destroy());
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

describe('ManagementClient', () => {
  it('waits for the >INFO: banner, then answers a one-line command with its SUCCESS line', async () => {
    const fake = await fakeManagement(openvpnLike);
    const client = await connect(fake.address);
    expect(await client.command('pid')).toEqual(['SUCCESS: pid=4242']);
    expect(fake.commands).toEqual(['pid']);
  });

  it('collects a multi-line reply up to END, passing interleaved > lines to listeners in order instead', async () => {
    const bytecount = '>BYTECOUNT_CLI:0,3408,3458';
    const reply = crlf([
      STATUS_3[0],
      STATUS_3[1],
      bytecount,
      ...STATUS_3.slice(2, 5),
      ...CLIENT_CONNECT_BLOCK,
      ...STATUS_3.slice(5),
      'END',
    ]);
    const fake = await fakeManagement(async (_command, peer) => {
      // Uneven fragments, some splitting a CRLF, as TCP may deliver them.
      for (let at = 0; at < reply.length; at += 37) {
        peer.write(reply.slice(at, at + 37));
        await delay(1);
      }
    });
    const client = await connect(fake.address);
    const notifications: string[] = [];
    client.onNotification((line) => notifications.push(line));

    expect(await client.command('status 3')).toEqual(STATUS_3);
    expect(notifications).toEqual([bytecount, ...CLIENT_CONNECT_BLOCK]);
  });

  it('delivers a >CLIENT: block that arrives with the banner to a listener registered right after connecting', async () => {
    const fake = await fakeManagement(openvpnLike, { greeting: `${BANNER}\r\n${crlf(CLIENT_CONNECT_BLOCK)}` });
    const client = await connect(fake.address);
    const notifications: string[] = [];
    client.onNotification((line) => notifications.push(line));
    // The reply comes after the block on the wire, so by then the whole block has been delivered.
    expect(await client.command('pid')).toEqual(['SUCCESS: pid=4242']);
    expect(notifications).toEqual(CLIENT_CONNECT_BLOCK);
  });

  it('stops notifying a listener once it unsubscribes, and a throwing listener does not disturb the others', async () => {
    const fake = await fakeManagement((command, peer) =>
      peer.write(`>ECHO:1795328076,${command}\r\nSUCCESS: echo\r\n`),
    );
    const client = await connect(fake.address);
    const seen: string[] = [];
    client.onNotification(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = client.onNotification((line) => seen.push(line));
    await client.command('first');
    unsubscribe();
    expect(await client.command('second')).toEqual(['SUCCESS: echo']);
    expect(seen).toEqual(['>ECHO:1795328076,first']);
  });

  it('sends one command at a time and gives each its own reply', async () => {
    let unanswered = 0;
    let mostUnanswered = 0;
    const fake = await fakeManagement(async (command, peer) => {
      mostUnanswered = Math.max(mostUnanswered, ++unanswered);
      await delay(10);
      unanswered--;
      peer.write(`SUCCESS: ${command}\r\n`);
    });
    const client = await connect(fake.address);
    const replies = await Promise.all(['one', 'two', 'three'].map((command) => client.command(command)));
    expect(replies).toEqual([['SUCCESS: one'], ['SUCCESS: two'], ['SUCCESS: three']]);
    expect(mostUnanswered).toBe(1);
  });

  it('rejects an ERROR reply with an ENDPOINT error quoting it, and stays usable', async () => {
    const fake = await fakeManagement(openvpnLike);
    const client = await connect(fake.address);
    const error = await rejection(client.command('client-kill 7 HALT'));
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toBe(
      `OpenVPN management interface at ${fake.address} refused "client-kill 7 HALT": ERROR: client-kill command failed`,
    );
    expect(await client.command('pid')).toEqual(['SUCCESS: pid=4242']);
  });

  it('takes an ERROR as the first line of a would-be multi-line reply as the whole reply', async () => {
    const fake = await fakeManagement((_command, peer) => peer.write('ERROR: status command failed\r\n'));
    const client = await connect(fake.address);
    expect((await rejection(client.command('status 9'))).message).toMatch(
      /refused "status 9": ERROR: status command failed$/,
    );
  });

  it('fails the command in flight, and every later one, when the server drops the connection mid-reply', async () => {
    const fake = await fakeManagement((_command, peer) => {
      peer.write(crlf(STATUS_3.slice(0, 3)));
      peer.destroy();
    });
    const client = await connect(fake.address);
    const inFlight = await rejection(client.command('status 3'));
    expect(inFlight.code).toBe('ENDPOINT');
    expect(inFlight.message).toBe(
      `OpenVPN management interface at ${fake.address} closed the connection before answering "status 3"`,
    );
    expect((await rejection(client.command('pid'))).message).toMatch(
      /closed the connection; connect again to send more commands$/,
    );
    expect(fake.commands).toEqual(['status 3']);
  });

  it('gives up on a command that gets no reply, and drops the connection so no late reply is misattributed', async () => {
    const fake = await fakeManagement(() => undefined);
    const client = await connect(fake.address, 200);
    const started = Date.now();
    expect((await rejection(client.command('status 3'))).message).toBe(
      `OpenVPN management interface at ${fake.address} did not answer "status 3" within 200 ms`,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await rejection(client.command('pid'))).message).toMatch(/disconnected after "status 3" timed out/);
  });

  it('refuses a command with a line break, which OpenVPN would run as two commands', async () => {
    const fake = await fakeManagement(openvpnLike);
    const client = await connect(fake.address);
    expect((await rejection(client.command('client-kill 1\nsignal SIGTERM'))).message).toMatch(/line break/);
    expect(fake.commands).toEqual([]);
  });

  it('fails commands still waiting when closed, and hangs up', async () => {
    const fake = await fakeManagement(() => undefined);
    const client = await connect(fake.address);
    const pending = rejection(client.command('status 3'));
    await delay(20);
    await client.close();
    expect((await pending).message).toMatch(/was disconnected by close\(\) before answering "status 3"$/);
    expect((await rejection(client.command('pid'))).message).toMatch(/was disconnected by close\(\)/);
    await delay(20);
    expect(fake.closedConnections()).toBe(1);
  });

  it('times out when the server never sends its banner', async () => {
    const fake = await fakeManagement(openvpnLike, { greeting: '' });
    const started = Date.now();
    const error = await rejection(ManagementClient.connect(fake.address, { timeoutMs: 200 }));
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toMatch(
      /sent no >INFO: banner within 200 ms: OpenVPN serves one management client at a time/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('says so when something other than a management interface answers', async () => {
    const fake = await fakeManagement(openvpnLike, { greeting: 'SSH-2.0-OpenSSH_9.6\r\n' });
    expect((await rejection(ManagementClient.connect(fake.address))).message).toBe(
      `OpenVPN management interface at ${fake.address} sent "SSH-2.0-OpenSSH_9.6" instead of the >INFO: banner: is this an OpenVPN management port?`,
    );
  });

  it('says so when the management interface asks for a password', async () => {
    // OpenVPN's prompt has no line ending: it waits on the same line.
    const fake = await fakeManagement(openvpnLike, { greeting: 'ENTER PASSWORD:' });
    const error = await rejection(ManagementClient.connect(fake.address, { timeoutMs: 1000 }));
    expect(error.message).toMatch(/asks for a password/);
  });

  it('gives the password once, however the prompt and the replies are split, and keeps what follows the banner', async () => {
    const dir = tempDir('management-password');
    const received: string[] = [];
    const server = createServer((peer) => {
      peers.add(peer);
      peer.on('close', () => peers.delete(peer));
      // The prompt in two pieces, the way a slow link can deliver it; then everything else in one.
      peer.write('ENTER PASS');
      setTimeout(() => peer.write('WORD:'), 50);
      onLines(peer, (line) => {
        received.push(line);
        if (line === 'secret') peer.write(`SUCCESS: password is correct\r\n${BANNER}\r\n>HOLD:waiting\r\n`);
        else if (line === 'pid') peer.write('SUCCESS: pid=7\r\n');
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const passwordFile = join(dir.path, 'pw');
      writeFileSync(passwordFile, 'secret\nsecond line is not the password\n', { mode: 0o600 });
      const client = await ManagementClient.connect(`127.0.0.1:${(server.address() as AddressInfo).port}`, {
        passwordFile,
        timeoutMs: 2000,
      });
      clients.push(client);
      const notes: string[] = [];
      client.onNotification((line) => notes.push(line));
      expect(await client.command('pid')).toEqual(['SUCCESS: pid=7']);
      expect(notes).toEqual(['>HOLD:waiting']);
      expect(received).toEqual(['secret', 'pid']);
      expect(client.passwordProtected).toBe(true);
    } finally {
      dir.remove();
    }
  });

  it('explains a refused connection', async () => {
    const port = await freeTcpPort();
    const error = await rejection(ManagementClient.connect(`127.0.0.1:${port}`));
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toBe(
      `OpenVPN management interface at 127.0.0.1:${port} refused the connection: is the server running with --management 127.0.0.1 ${port}?`,
    );
  });

  it('rejects an address without a port', async () => {
    expect((await rejection(ManagementClient.connect('127.0.0.1'))).message).toMatch(
      /"127\.0\.0\.1" is not a management address: expected host:port/,
    );
  });
});

describe('sessionsFromStatus', () => {
  it('reads the CLIENT_LIST rows of a real status 3 reply', () => {
    expect(sessionsFromStatus(STATUS_3)).toEqual(STATUS_3_SESSIONS);
  });

  it('finds columns by their header names, not positions', () => {
    const reordered = [
      'HEADER\tCLIENT_LIST\tClient ID\tUsername\tReal Address\tCommon Name\tConnected Since (time_t)\tSome Future Column',
      'CLIENT_LIST\t12\tUNDEF\t[2001:db8::7]:51820\tcarol-U0CAROL.vpn.test\t1795328000\tx',
      'CLIENT_LIST\t13\tUNDEF\tudp4:203.0.113.9:40000\tdave-U0DAVE.vpn.test\t\tx',
    ];
    expect(sessionsFromStatus(reordered)).toEqual([
      {
        connectionId: '12',
        commonName: 'carol-U0CAROL.vpn.test',
        clientIp: '2001:db8::7',
        connectedAt: new Date(1795328000 * 1000),
      },
      { connectionId: '13', commonName: 'dave-U0DAVE.vpn.test', clientIp: '203.0.113.9', connectedAt: undefined },
    ]);
  });

  it('returns no sessions when nobody is connected', () => {
    expect(
      sessionsFromStatus(STATUS_3.filter((line) => !line.includes('CLIENT_LIST\t') || line.startsWith('HEADER'))),
    ).toEqual([]);
  });

  it('refuses the reply of a server not in server mode', () => {
    // What a point-to-point OpenVPN 2.6.14 really answers to "status 3".
    const p2p = ['OpenVPN STATISTICS', 'Updated,2026-11-22 06:12:54', 'TUN/TAP read bytes,0', 'Auth read bytes,0'];
    expect(() => sessionsFromStatus(p2p)).toThrow(
      /no HEADER CLIENT_LIST line: is the OpenVPN server running in server mode\?/,
    );
  });

  it('refuses a CLIENT_LIST header without a Client ID', () => {
    expect(() => sessionsFromStatus(['HEADER\tCLIENT_LIST\tCommon Name\tReal Address'])).toThrow(
      /lacks Common Name or Client ID \(it has: Common Name, Real Address\)/,
    );
  });
});

describe('OpenVpnEndpoint', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('openvpn-endpoint-unit');
  });
  afterEach(() => dir.remove());

  const endpointAt = (management: string, extra: { crlFile?: string; tlsCryptKeyFile?: string } = {}) =>
    new OpenVpnEndpoint({
      name: 'local',
      management,
      crlFile: join(dir.path, 'crl.pem'),
      remote: '127.0.0.1 1194 udp',
      caPem: 'CA PEM',
      timeoutMs: 1000,
      ...extra,
    });

  it('is openvpn:<name> of kind openvpn and hands out the shared client base', async () => {
    const endpoint = endpointAt('127.0.0.1:7505');
    expect([endpoint.key, endpoint.kind]).toEqual(['openvpn:local', 'openvpn']);
    expect(await endpoint.clientConfiguration()).toBe(
      openvpnClientBase({ remote: '127.0.0.1 1194 udp', caPem: 'CA PEM' }),
    );
  });

  it('lists sessions through status 3 and hangs up afterwards', async () => {
    const fake = await fakeManagement(openvpnLike);
    expect(await endpointAt(fake.address).listSessions()).toEqual(STATUS_3_SESSIONS);
    expect(fake.commands).toEqual(['status 3']);
    await delay(20);
    expect(fake.closedConnections()).toBe(1);
  });

  it('kills each session it can: an ERROR for one id does not stop the rest, and non-numeric ids are never sent', async () => {
    const fake = await fakeManagement(openvpnLike);
    expect(await endpointAt(fake.address).terminateSessions(['7', '8', '9 \nsignal SIGTERM', '10'])).toEqual([
      '8',
      '10',
    ]);
    expect(fake.commands).toEqual(['client-kill 7 HALT', 'client-kill 8 HALT', 'client-kill 10 HALT']);
  });

  it('names the endpoint when the management interface cannot be reached', async () => {
    const port = await freeTcpPort();
    const error = await rejection(endpointAt(`127.0.0.1:${port}`).listSessions());
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toBe(
      `openvpn:local: OpenVPN management interface at 127.0.0.1:${port} refused the connection: is the server running with --management 127.0.0.1 ${port}?`,
    );
  });

  it('fails a kill batch as a whole when the connection drops, since which kills landed is unknown', async () => {
    const fake = await fakeManagement((_command, peer) => peer.destroy());
    expect((await rejection(endpointAt(fake.address).terminateSessions(['1', '2']))).message).toMatch(
      /^openvpn:local: .*closed the connection before answering "client-kill 1 HALT"$/,
    );
  });

  it('replaces the CRL file whole, world-readable even under a strict umask, leaving no temporary file behind', async () => {
    const endpoint = endpointAt('127.0.0.1:7505');
    const crlFile = join(dir.path, 'crl.pem');
    writeFileSync(crlFile, 'OLD CRL', { mode: 0o600 });
    const previous = process.umask(0o077);
    try {
      await endpoint.importCrl('-----BEGIN X509 CRL-----\nNEW\n-----END X509 CRL-----\n');
    } finally {
      process.umask(previous);
    }
    expect(readFileSync(crlFile, 'utf8')).toBe('-----BEGIN X509 CRL-----\nNEW\n-----END X509 CRL-----\n');
    expect(statSync(crlFile).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir.path)).toEqual(['crl.pem']);
    expect(await endpoint.exportCrl()).toEqual({
      pem: '-----BEGIN X509 CRL-----\nNEW\n-----END X509 CRL-----\n',
      status: 'active',
    });
  });

  it('names the CRL file it could not write', async () => {
    const crlFile = join(dir.path, 'no-such-folder', 'crl.pem');
    const error = await rejection(endpointAt('127.0.0.1:7505', { crlFile }).importCrl('CRL'));
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toMatch(new RegExp(`^openvpn:local: could not write the CRL to ${crlFile} \\(ENOENT`));
  });

  it('reports no CRL when the file does not exist', async () => {
    expect(await endpointAt('127.0.0.1:7505').exportCrl()).toEqual({});
  });

  it('names the CRL file it could not read', async () => {
    mkdirSync(join(dir.path, 'crl.pem'));
    expect((await rejection(endpointAt('127.0.0.1:7505').exportCrl())).message).toMatch(
      /could not read the CRL file .*crl\.pem \(EISDIR/,
    );
  });

  it('reads the tls-crypt key only when one is configured', async () => {
    const keyFile = join(dir.path, 'tc.key');
    writeFileSync(keyFile, 'TLS CRYPT KEY');
    expect(await endpointAt('127.0.0.1:7505').tlsCryptKey()).toBeUndefined();
    expect(await endpointAt('127.0.0.1:7505', { tlsCryptKeyFile: keyFile }).tlsCryptKey()).toBe('TLS CRYPT KEY');
    expect(
      (await rejection(endpointAt('127.0.0.1:7505', { tlsCryptKeyFile: `${keyFile}.missing` }).tlsCryptKey())).message,
    ).toMatch(/could not read the tls-crypt key/);
  });

  it('is healthy when the management interface answers pid and the CRL file exists', async () => {
    const fake = await fakeManagement(openvpnLike);
    writeFileSync(join(dir.path, 'crl.pem'), 'CRL');
    expect(await endpointAt(fake.address).health()).toEqual({
      ok: true,
      detail: `management interface at ${fake.address} answers (pid=4242); CRL file ${join(dir.path, 'crl.pem')} is present`,
      management: { address: fake.address, transport: 'tcp', passwordProtected: false },
    });
  });

  it('says what is wrong when the CRL file is missing', async () => {
    const fake = await fakeManagement(openvpnLike);
    const health = await endpointAt(fake.address).health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain(`CRL file ${join(dir.path, 'crl.pem')} is missing: publish a CRL`);
  });
});
