import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopperFor } from '../../src/adapters/child-process';
import { childOutput } from './child-output';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { openvpnClientBase } from '../../src/adapters/openvpn/client-base';
import { encodeCn } from '../../src/domain/cn';
import { CertificateAuthority } from '../../src/pki/ca';
import { IssuedWithKey, issueWithNewKey, signCertificateFor } from '../../src/pki/certificate';
import { buildCrl } from '../../src/pki/crl';
import { assembleProfile } from '../../src/pki/profile';
import { generateTlsCryptKey } from '../../src/pki/tls-crypt';
import { testCa } from './ca';
import { OPENVPN, tempDir } from './tools';

/** A free UDP port on loopback (bound and released; the window for a clash is tiny). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** A free TCP port on loopback, e.g. for `--management`. */
export { freeTcpPort };

export interface RunningOpenVpn {
  process: ChildProcess;
  log(): string;
  /** Resolves with the log once `pattern` appears after offset `since`; rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; since?: number }): Promise<string>;
  stop(): Promise<void>;
}

/** Start `openvpn` with `args`; every caller must `stop()` it (tests do so in `finally`/`afterAll`). */
export function startOpenVpn(args: string[]): RunningOpenVpn {
  const child = spawn(OPENVPN!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = childOutput(child, 'openvpn');

  return {
    process: child,
    log: output.text,
    waitFor: (pattern, { timeoutMs = 20_000, since = 0 } = {}) => output.waitFor(pattern, { timeoutMs, since }),
    stop: stopperFor(child, 3000),
  };
}

/** Server flags for tests: loopback only, and no address or route is ever configured. */
export function serverArgs(options: {
  port: number;
  ca: string;
  cert: string;
  key: string;
  crl: string;
  tlsCrypt: string;
  /** The control channel's protection flags, instead of `--tls-crypt <tlsCrypt>` (e.g. tls-crypt-v2's). */
  control?: string[];
  extra?: string[];
}): string[] {
  return [
    '--local',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--proto',
    'udp4',
    '--dev',
    'tun',
    '--topology',
    'subnet',
    '--server',
    '10.213.0.0',
    '255.255.255.0',
    '--ca',
    options.ca,
    '--cert',
    options.cert,
    '--key',
    options.key,
    '--dh',
    'none',
    '--crl-verify',
    options.crl,
    ...(options.control ?? ['--tls-crypt', options.tlsCrypt]),
    '--ifconfig-noexec',
    '--route-noexec',
    '--verb',
    '3',
    ...(options.extra ?? []),
  ];
}

export const clientArgs = (profile: string) => [
  '--config',
  profile,
  '--ifconfig-noexec',
  '--route-noexec',
  '--verb',
  '3',
];

export const CONNECTED = /Initialization Sequence Completed/;

export interface TestVpnOptions {
  /** Prefix of the temporary folder that holds every file of this server. */
  prefix: string;
  /** Also pick a free TCP port and start the server with `--management 127.0.0.1 <port>`. */
  management?: boolean;
  /**
   * Write an empty CRL (number 1) before `start()`; default true. Pass false when the test puts the
   * first CRL in itself (through `writeCrl` or an adapter), since OpenVPN will not start without it.
   */
  initialCrl?: boolean;
}

/** What a profile is built from when not from the test server's own settings, e.g. an `OpenVpnEndpoint`. */
export interface ProfileSource {
  clientConfiguration(): Promise<string>;
  tlsCryptKey(): Promise<string | undefined>;
}

export interface TestVpn {
  dir: { path: string; remove(): void };
  ca: CertificateAuthority;
  port: number;
  /** `127.0.0.1 <port> udp`, as in VPN_ENDPOINTS. */
  remote: string;
  /** The tls-crypt key text the server uses. */
  tlsCrypt: string;
  files: { ca: string; cert: string; key: string; crl: string; tlsCrypt: string };
  /** Write `text` to `name` in the folder (mode 0600) and return its path. */
  file(name: string, text: string): string;
  /** Replace the server's CRL the way an endpoint adapter must: whole file, atomically. */
  writeCrl(pem: string): void;
  /** Start the server (once) with the test flags plus `extraArgs`, and wait until it is ready. */
  start(extraArgs?: string[]): Promise<RunningOpenVpn>;
  /** The started server; throws before `start()`. */
  readonly server: RunningOpenVpn;
  /** Issue a client certificate for `name`/`slackId` in vpn.test and write its profile to `<slackId>.ovpn`. */
  profileFor(
    name: string,
    slackId: string,
    options?: { withTlsCrypt?: boolean; from?: ProfileSource },
  ): Promise<{ issued: IssuedWithKey; path: string }>;
  /** Start a client on `profile`; `stop()` stops it if the test has not. */
  startClient(profile: string): RunningOpenVpn;
  /** Stop every client and the server started here, then remove the folder. */
  stop(): Promise<void>;
}

/** A test OpenVPN server with a management interface: `managementPort` and `management` ("127.0.0.1:port") are set. */
export type ManagedTestVpn = TestVpn & { managementPort: number; management: string };

/**
 * Everything a test needs for a real OpenVPN server on loopback: a folder with the CA, a server
 * certificate and key, a tls-crypt key and (unless told otherwise) a CRL, free ports, and ways to start
 * the server, issue client profiles and clean up. Nothing runs until `start()`.
 */
export async function prepareTestVpn(options: TestVpnOptions & { management: true }): Promise<ManagedTestVpn>;
export async function prepareTestVpn(options: TestVpnOptions): Promise<TestVpn>;
export async function prepareTestVpn(options: TestVpnOptions): Promise<TestVpn | ManagedTestVpn> {
  const dir = tempDir(options.prefix);
  const ca = await testCa();
  const [port, managementPort] = await Promise.all([
    freeUdpPort(),
    options.management ? freeTcpPort() : Promise.resolve(undefined),
  ]);
  const remote = `127.0.0.1 ${port} udp`;
  const tlsCrypt = generateTlsCryptKey();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serverCert = signCertificateFor({ ca, cn: 'server.vpn.test', publicKey, profile: 'server' });
  const file = (name: string, text: string) => {
    const path = join(dir.path, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const files = {
    ca: file('ca.crt', ca.certPem),
    cert: file('server.crt', serverCert.certPem),
    key: file('server.key', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    crl: join(dir.path, 'crl.pem'),
    tlsCrypt: file('tc.key', tlsCrypt),
  };
  const writeCrl = (pem: string) => {
    writeFileSync(`${files.crl}.tmp`, pem);
    renameSync(`${files.crl}.tmp`, files.crl);
  };
  if (options.initialCrl ?? true) writeCrl(buildCrl({ ca, number: 1n, revocations: [] }).pem);

  let server: RunningOpenVpn | undefined;
  const clients: RunningOpenVpn[] = [];
  const vpn: TestVpn = {
    dir,
    ca,
    port,
    remote,
    tlsCrypt,
    files,
    file,
    writeCrl,
    async start(extraArgs = []) {
      if (server) throw new Error('the test OpenVPN server is already started');
      const management = managementPort === undefined ? [] : ['--management', '127.0.0.1', String(managementPort)];
      server = startOpenVpn(serverArgs({ port, ...files, extra: [...management, ...extraArgs] }));
      await server.waitFor(CONNECTED);
      return server;
    },
    get server() {
      if (!server) throw new Error('the test OpenVPN server is not started yet');
      return server;
    },
    async profileFor(name, slackId, { withTlsCrypt = true, from } = {}) {
      const issued = await issueWithNewKey({ ca, cn: encodeCn({ displayName: name, slackId, domain: 'vpn.test' }) });
      const base = from ? await from.clientConfiguration() : openvpnClientBase({ remote, caPem: ca.certPem });
      const tlsCryptKey = withTlsCrypt ? (from ? await from.tlsCryptKey() : tlsCrypt) : undefined;
      const path = file(
        `${slackId}.ovpn`,
        assembleProfile({ base, certPem: issued.certPem, keyPem: issued.keyPem, tlsCryptKey }),
      );
      return { issued, path };
    },
    startClient(profile) {
      const client = startOpenVpn(clientArgs(profile));
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((client) => client.stop()));
      await server?.stop();
      dir.remove();
    },
  };
  return managementPort === undefined
    ? vpn
    : Object.assign(vpn, { managementPort, management: `127.0.0.1:${managementPort}` });
}
