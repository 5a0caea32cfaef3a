import { ChildProcess, spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config, EndpointConfig } from '../config';
import { stopperFor } from '../adapters/child-process';
import { refusalListDir, syncRefusals } from '../adapters/openvpn/tls-crypt-v2-files';
import { VpnChatopsError } from '../domain/errors';
import type { CertificateAuthority } from '../pki/ca';
import { signCertificateFor } from '../pki/certificate';
import { ParsedCrl, parseCrl } from '../pki/crl';
import { findProgram, openvpnVersion, vpnPortProblem } from './preflight';
import { DAY_MS } from '../domain/time';

type LocalEndpoint = Extract<EndpointConfig, { type: 'openvpn' }>;

/** The tunnel's own addresses; only the two ends of the local tunnel use them. */
const TUNNEL_NETWORK = ['10.213.0.0', '255.255.255.0'];
const READY = /Initialization Sequence Completed/;

export interface OpenVpnProgram {
  path: string;
  version: string;
}

/** Either the program to run, or exactly why the local server cannot run here. */
export async function openvpnAvailability(
  config: Config,
  endpoint: LocalEndpoint,
): Promise<{ program: OpenVpnProgram } | { why: string }> {
  const path = config.OPENVPN_BIN ?? findProgram('openvpn');
  if (!path || !existsSync(path)) {
    return {
      why: config.OPENVPN_BIN
        ? `OPENVPN_BIN=${config.OPENVPN_BIN} does not exist`
        : 'openvpn is not installed (Debian/Ubuntu: apt-get install -y openvpn)',
    };
  }
  const version = openvpnVersion(path);
  if (!version) return { why: `${path} --version did not print an OpenVPN version: is it OpenVPN?` };
  const [major, minor] = version.split('.').map(Number);
  if (major < 2 || (major === 2 && minor < 6))
    return {
      why: `OpenVPN 2.6 or later is needed for the approval bridge; ${path} is ${version} (apt-get install -y openvpn from a current release)`,
    };
  if (!existsSync('/dev/net/tun'))
    return { why: 'there is no tun device (/dev/net/tun); as root: mkdir -p /dev/net && mknod /dev/net/tun c 10 200' };
  if (process.getuid?.() !== 0)
    return { why: 'creating a tun device needs root: run sudo -E npm start (or give openvpn CAP_NET_ADMIN)' };
  const [, port] = endpoint.remote.split(/\s+/);
  const [, managementPort] = endpoint.management.split(':');
  const busy =
    (await vpnPortProblem(Number(port), 'LOCAL_VPN_PORT', 'udp')) ??
    (await vpnPortProblem(Number(managementPort), 'LOCAL_VPN_MANAGEMENT_PORT', 'tcp'));
  return busy ? { why: busy } : { program: { path, version } };
}

/** The server's certificate and key (mode 0600), reused while the current CA signed it and it has a month left. */
function ensureServerCertificate(ca: CertificateAuthority, dir: string, domain: string): { cert: string; key: string } {
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  if (existsSync(cert) && existsSync(key)) {
    try {
      const x509 = new X509Certificate(readFileSync(cert));
      const keyMatches = x509.checkPrivateKey(createPrivateKey(readFileSync(key)));
      const fresh = new Date(x509.validTo).getTime() - Date.now() > 30 * DAY_MS;
      if (keyMatches && fresh && x509.checkIssued(ca.x509) && x509.verify(ca.x509.publicKey)) return { cert, key };
    } catch {
      // Unreadable or foreign: replaced below, as on first run.
    }
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signed = signCertificateFor({ ca, cn: `server.${domain}`, publicKey, profile: 'server' });
  writeAtomically(key, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  writeAtomically(cert, signed.certPem, 0o644);
  return { cert, key };
}

/**
 * The management password (mode 0600), made once: the port is on loopback, but every local user can
 * reach loopback, and whoever holds the port can approve logins with client-auth-nt.
 */
function ensureManagementPassword(file: string): void {
  try {
    writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function writeAtomically(path: string, text: string, mode: number): void {
  writeFileSync(`${path}.tmp`, text, { mode });
  renameSync(`${path}.tmp`, path);
}

/** The local server's crl-verify file is missing, not ours, or due for renewal: publish before the server starts. */
export function crlNeedsPublishing(file: string, ca: CertificateAuthority, renewBeforeDays: number): boolean {
  if (!existsSync(file)) return true;
  const crl = ourCrl(file, ca);
  return !crl || crl.nextUpdate === undefined || crl.nextUpdate.getTime() - Date.now() < renewBeforeDays * DAY_MS;
}

/**
 * Removes a crl-verify file our CA did not sign (a development CA moved away, a file copied in): the
 * agent writes only a CRL numbered above the one on disk, and a new CA numbers its CRLs from 1 again.
 */
export function removeForeignCrl(file: string, ca: CertificateAuthority): boolean {
  if (!existsSync(file) || ourCrl(file, ca)) return false;
  rmSync(file, { force: true });
  return true;
}

function ourCrl(file: string, ca: CertificateAuthority): ParsedCrl | undefined {
  try {
    const crl = parseCrl(readFileSync(file, 'utf8'), ca, { entries: false });
    return crl.signedBy?.signatureValid && crl.signedBy.issuerMatches ? crl : undefined;
  } catch {
    // Unreadable: OpenVPN would refuse every login with it.
    return undefined;
  }
}

/**
 * The server's files, made or renewed: the CA and server certificates, the management password and the
 * log. The agent may start before the server (to write the first CRL) and reads them from the start.
 */
export function prepareLocalOpenVpn(
  config: Config,
  ca: CertificateAuthority,
  endpoint: LocalEndpoint,
): { caFile: string; cert: string; key: string; passwordFile: string; logFile: string } {
  const dir = dirname(endpoint.crlFile);
  const caFile = join(dir, 'ca.crt');
  writeAtomically(caFile, ca.certPem, 0o644);
  const { cert, key } = ensureServerCertificate(ca, dir, config.CERT_DOMAIN);
  const passwordFile = endpoint.managementPasswordFile ?? join(dir, 'management.pw');
  ensureManagementPassword(passwordFile);
  const logFile = endpoint.logFile ?? join(dir, 'openvpn.log');
  appendFileSync(logFile, '', { mode: 0o600 });
  return { caFile, cert, key, passwordFile, logFile };
}

export interface LocalOpenVpn {
  readonly pid: number;
  readonly logFile: string;
  /** Called once if the server exits while the stack still runs. */
  onExit(listener: (summary: string) => void): void;
  stop(): Promise<void>;
}

export interface StartOpenVpnOptions {
  config: Config;
  ca: CertificateAuthority;
  endpoint: LocalEndpoint;
  program: OpenVpnProgram;
  onSpawn?: (pid: number) => void;
  readyTimeoutMs?: number;
}

/**
 * The local OpenVPN 2.6 server: loopback only, crl-verify on the file the bot publishes, tls-crypt (or tls-crypt-v2),
 * and the management interface on 127.0.0.1, behind a password, with --management-client-auth, so every login is
 * decided by the agent's approval bridge, which holds the one management connection OpenVPN serves. With
 * LOCAL_VPN_NOEXEC=true (tests) no address or route is set up.
 */
export async function startLocalOpenVpn(options: StartOpenVpnOptions): Promise<LocalOpenVpn> {
  const { config, ca, endpoint, program } = options;
  const { caFile, cert, key, passwordFile, logFile } = prepareLocalOpenVpn(config, ca, endpoint);
  const [host, port] = endpoint.remote.split(/\s+/);
  const [managementHost, managementPort] = endpoint.management.split(':');
  // OpenVPN drops a client whose TLS handshake is not done within the hand-window; approval must fit inside it.
  const handWindow = Math.max(60, config.APPROVAL_TIMEOUT_S * 2 + 10);
  const args = [
    '--local',
    host,
    '--port',
    port,
    '--proto',
    'udp4',
    '--dev',
    'tun',
    '--topology',
    'subnet',
    '--server',
    ...TUNNEL_NETWORK,
    '--ca',
    caFile,
    '--cert',
    cert,
    '--key',
    key,
    '--dh',
    'none',
    '--crl-verify',
    endpoint.crlFile,
    ...(await controlChannelArgs(endpoint)),
    '--management',
    managementHost,
    managementPort,
    passwordFile,
    '--management-client-auth',
    '--auth-user-pass-optional',
    '--hand-window',
    String(handWindow),
    '--keepalive',
    '10',
    '60',
    '--persist-key',
    '--verb',
    '3',
    ...(config.LOCAL_VPN_NOEXEC === 'true' ? ['--ifconfig-noexec', '--route-noexec'] : []),
  ];
  appendFileSync(logFile, `\n--- ${new Date().toISOString()} ${program.path} ${args.join(' ')}\n`, { mode: 0o600 });
  const child = spawn(program.path, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  const output = collectOutput(child, logFile);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = stopperFor(child);

  try {
    await waitForReady(child, output, options.readyTimeoutMs ?? 20_000, logFile);
    let exitListener: ((summary: string) => void) | undefined;
    let stopping = false;
    void exited.then((code) => {
      if (!stopping)
        exitListener?.(`OpenVPN exited (code ${code ?? 'signal'}): ${lastLines(output.text(), 3)}; see ${logFile}`);
    });
    return {
      pid: child.pid!,
      logFile,
      onExit: (listener) => void (exitListener = listener),
      stop: async () => {
        stopping = true;
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const VERIFY_SCRIPT = join(__dirname, '..', '..', 'resources', 'tls-crypt-v2-verify.sh');
const MEMORY_TMP_DIR = '/dev/shm';

/**
 * `--tls-crypt`, or with LOCAL_VPN_TLS_CRYPT_V2 `--tls-crypt-v2` and its verify script. The script's folder is made
 * from the CRL on disk when missing (the setting just turned on): the agent rewrites it only with a newer CRL, and
 * without it the script refuses everyone.
 */
async function controlChannelArgs(endpoint: LocalEndpoint): Promise<string[]> {
  if (endpoint.tlsCryptV2ServerKeyFile === undefined) return ['--tls-crypt', endpoint.tlsCryptKeyFile!];
  const refusals = refusalListDir(endpoint.crlFile);
  // OpenVPN splits the verify command on whitespace.
  if (/\s/.test(`${VERIFY_SCRIPT}${refusals}`))
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `LOCAL_VPN_TLS_CRYPT_V2 needs paths without spaces (${VERIFY_SCRIPT}, ${refusals}): move STATE_DIR or the checkout`,
    );
  if (!existsSync(refusals) && existsSync(endpoint.crlFile))
    await syncRefusals(endpoint.crlFile, readFileSync(endpoint.crlFile, 'utf8'));
  return [
    '--tls-crypt-v2',
    endpoint.tlsCryptV2ServerKeyFile,
    '--tls-crypt-v2-verify',
    `${VERIFY_SCRIPT} ${refusals}`,
    '--script-security',
    '2',
    // OpenVPN writes each key's metadata to a file there for the script: in memory it costs less per attempt.
    ...(existsSync(MEMORY_TMP_DIR) ? ['--tmp-dir', MEMORY_TMP_DIR] : []),
  ];
}

function collectOutput(
  child: ChildProcess,
  logFile: string,
): { text(): string; onData(listener: () => void): () => void } {
  let text = '';
  const listeners = new Set<() => void>();
  const receive = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-64_000);
    try {
      appendFileSync(logFile, chunk);
    } catch {
      // The log is a convenience; the server keeps running without it.
    }
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', receive);
  child.stderr?.on('data', receive);
  return {
    text: () => text,
    onData: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const lastLines = (text: string, count: number) =>
  text
    .trim()
    .split('\n')
    .slice(-count)
    .map((line) => line.replace(/^\S+ \S+ /, '').trim())
    .join(' / ');

/** Resolves once the server is up; rejects with the reason from its own output when it exits or hangs. */
function waitForReady(
  child: ChildProcess,
  output: ReturnType<typeof collectOutput>,
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearTimeout(timer);
      unsubscribe();
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (READY.test(output.text())) finish();
    };
    const onExit = () =>
      finish(
        new VpnChatopsError(
          'ENDPOINT',
          `OpenVPN stopped while starting: ${explainFailure(output.text())} (log: ${logFile})`,
        ),
      );
    const timer = setTimeout(
      () =>
        finish(
          new VpnChatopsError(
            'ENDPOINT',
            `OpenVPN did not finish starting within ${timeoutMs / 1000} s: ${lastLines(output.text(), 3)} (log: ${logFile})`,
          ),
        ),
      timeoutMs,
    );
    const unsubscribe = output.onData(check);
    child.once('exit', onExit);
    check();
  });
}

/** OpenVPN's own error, with the fix for the failures a newcomer meets. */
function explainFailure(log: string): string {
  if (/TUNSETIFF|Cannot open TUN|Operation not permitted/.test(log))
    return `it could not create its tun device (${lastLines(log, 1)}): run as root, or where /dev/net/tun is usable`;
  if (/Address already in use/.test(log))
    return `its port is taken (${lastLines(log, 1)}): set LOCAL_VPN_PORT / LOCAL_VPN_MANAGEMENT_PORT to free ports`;
  return lastLines(log, 3);
}
