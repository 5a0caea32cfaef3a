import { X509Certificate, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VpnChatopsError } from '../../domain/errors';
import type {
  EndpointHealth,
  LiveCrl,
  ManagementAccess,
  ServerCertificate,
  VpnEndpoint,
  VpnSession,
} from '../../ports';
import { openvpnClientBase } from './client-base';
import { ManagementClient, ManagementCommandError, parseAddress } from './management';
import { readTlsCryptV2ServerKey, syncRefusals } from './tls-crypt-v2-files';

export interface OpenVpnEndpointOptions {
  /** Short name: the endpoint's key is `openvpn:<name>`. */
  name: string;
  /** The server's `--management` address: `host:port`, or `unix:/path` for a Unix socket. */
  management: string;
  /** The file holding the management password on its first line, when the server's `--management` line names one. */
  managementPasswordFile?: string;
  /** The server's `--crl-verify` file. */
  crlFile: string;
  /** "host port [proto]" that clients connect to. */
  remote: string;
  caPem: string;
  tlsCryptKeyFile?: string;
  /**
   * The server's `--tls-crypt-v2` key: profiles then carry their own client key, and each CRL written also
   * updates the refusal list its `--tls-crypt-v2-verify` script reads (tls-crypt-v2-files.ts).
   */
  tlsCryptV2ServerKeyFile?: string;
  /** The server's `--cert` file, so `doctor` can see when it expires. */
  serverCertFile?: string;
  timeoutMs?: number;
  /**
   * A management connection held open elsewhere (by the login-approval bridge). OpenVPN serves one
   * management client at a time, so while one is held every operation must go through it. A function
   * is asked each time, for a holder that reconnects when the server restarts.
   */
  shared?: ManagementClient | (() => ManagementClient | undefined);
  /** What to do when the server does not answer, for `doctor`; a generic hint without it. */
  whenDown?: string;
}

/**
 * A self-hosted OpenVPN 2.6 server. The CRL is a file the server re-reads on every connection, and
 * sessions are read and killed through the management interface.
 */
export class OpenVpnEndpoint implements VpnEndpoint {
  readonly key: string;
  readonly kind = 'openvpn' as const;

  constructor(private readonly options: OpenVpnEndpointOptions) {
    this.key = `openvpn:${options.name}`;
  }

  async importCrl(pem: string): Promise<void> {
    const file = this.options.crlFile;
    try {
      // The refusal list first: a serial the CRL lists is then refused before TLS no later than at TLS.
      if (this.options.tlsCryptV2ServerKeyFile !== undefined) await syncRefusals(file, pem);
      await replaceFile(file, pem, 0o644);
    } catch (error) {
      throw this.failure(
        `could not write the CRL to ${file} (${reason(error)}): check that its folder exists and is writable`,
        error,
      );
    }
  }

  async exportCrl(): Promise<LiveCrl> {
    const file = this.options.crlFile;
    try {
      return { pem: await readFile(file, 'utf8'), status: 'active' };
    } catch (error) {
      if (isMissing(error)) return {};
      throw this.failure(`could not read the CRL file ${file} (${reason(error)})`, error);
    }
  }

  async listSessions(): Promise<VpnSession[]> {
    return this.withManagement(async (management) => sessionsFromStatus(await management.command('status 3')));
  }

  async terminateSessions(connectionIds: string[]): Promise<string[]> {
    if (connectionIds.length === 0) return [];
    return this.withManagement(async (management) => {
      const terminated: string[] = [];
      for (const id of connectionIds) {
        if (await killClient(management, id)) terminated.push(id);
      }
      return terminated;
    });
  }

  async clientConfiguration(): Promise<string> {
    return openvpnClientBase({ remote: this.options.remote, caPem: this.options.caPem });
  }

  async tlsCryptKey(): Promise<string | undefined> {
    const file = this.options.tlsCryptKeyFile;
    if (file === undefined) return undefined;
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw this.failure(
        `could not read the tls-crypt key ${file} (${reason(error)}): check the tlsCryptKeyFile setting`,
        error,
      );
    }
  }

  async tlsCryptV2ServerKey(): Promise<string | undefined> {
    const file = this.options.tlsCryptV2ServerKeyFile;
    return file === undefined ? undefined : readTlsCryptV2ServerKey(file, this.key);
  }

  async serverCertificate(): Promise<ServerCertificate | undefined> {
    const file = this.options.serverCertFile;
    if (file === undefined) return undefined;
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (error) {
      throw this.failure(
        `could not read the server certificate ${file} (${reason(error)}): check the serverCertFile setting`,
        error,
      );
    }
    try {
      const certificate = new X509Certificate(pem);
      return {
        location: file,
        subject: certificate.subject.replace(/\n/g, ', '),
        notAfter: new Date(certificate.validTo),
      };
    } catch (error) {
      throw this.failure(
        `${file} is not a PEM certificate (${reason(error)}): point serverCertFile at the file the server's --cert option names`,
        error,
      );
    }
  }

  async health(): Promise<EndpointHealth> {
    const checks = await Promise.all([this.checkManagement(), this.checkCrlFile()]);
    const ok = checks.every((check) => check.ok);
    const management = checks[0].management;
    return {
      ok,
      detail: checks.map((check) => check.detail).join('; '),
      ...(management ? { management } : {}),
      ...(!ok && !checks[0].ok && this.options.whenDown !== undefined && { fix: this.options.whenDown }),
    };
  }

  private async checkManagement(): Promise<EndpointHealth> {
    try {
      return await this.withManagement(async (management) => {
        const [reply] = await management.command('pid');
        return {
          ok: true,
          detail: `management interface at ${this.options.management} answers (${reply.replace(/^SUCCESS:\s*/, '')})`,
          management: await this.access(management),
        };
      });
    } catch (error) {
      return { ok: false, detail: reason(error) };
    }
  }

  private async access(management: ManagementClient): Promise<ManagementAccess> {
    const target = parseAddress(this.options.management);
    if (!('path' in target))
      return { address: this.options.management, transport: 'tcp', passwordProtected: management.passwordProtected };
    // Connecting to a Unix socket takes write permission on it.
    const openToAllUsers = await stat(target.path).then(
      (info) => (info.mode & 0o002) !== 0,
      () => undefined,
    );
    return {
      address: this.options.management,
      transport: 'unix',
      passwordProtected: management.passwordProtected,
      ...(openToAllUsers === undefined ? {} : { openToAllUsers }),
    };
  }

  private async checkCrlFile(): Promise<EndpointHealth> {
    const file = this.options.crlFile;
    try {
      const info = await stat(file);
      return info.isFile()
        ? { ok: true, detail: `CRL file ${file} is present` }
        : { ok: false, detail: `CRL file ${file} is not a regular file` };
    } catch (error) {
      const problem = isMissing(error) ? 'is missing: publish a CRL' : `cannot be read (${reason(error)})`;
      return { ok: false, detail: `CRL file ${file} ${problem}` };
    }
  }

  /**
   * The shared connection when there is one (it serializes commands itself); otherwise one connection
   * per operation, because OpenVPN serves a single management client at a time and holding one would lock others out.
   */
  private async withManagement<T>(work: (management: ManagementClient) => Promise<T>): Promise<T> {
    try {
      const option = this.options.shared;
      const shared = typeof option === 'function' ? option() : option;
      return shared ? await work(shared) : await this.withOwnManagement(work);
    } catch (error) {
      throw this.failure(reason(error), error);
    }
  }

  private async withOwnManagement<T>(work: (management: ManagementClient) => Promise<T>): Promise<T> {
    const management = await ManagementClient.connect(this.options.management, {
      timeoutMs: this.options.timeoutMs,
      passwordFile: this.options.managementPasswordFile,
    });
    try {
      return await work(management);
    } finally {
      await management.close();
    }
  }

  private failure(problem: string, cause: unknown): VpnChatopsError {
    return new VpnChatopsError('ENDPOINT', `${this.key}: ${problem}`, { cause });
  }
}

/**
 * The live sessions in a `status 3` reply. Columns are looked up by their names in the
 * `HEADER\tCLIENT_LIST` line because OpenVPN has added columns between releases.
 */
export function sessionsFromStatus(lines: string[]): VpnSession[] {
  const rows = lines.map((line) => line.split('\t'));
  const header = rows.find((row) => row[0] === 'HEADER' && row[1] === 'CLIENT_LIST');
  if (!header) {
    throw new VpnChatopsError(
      'ENDPOINT',
      'the "status 3" reply has no HEADER CLIENT_LIST line: is the OpenVPN server running in server mode?',
    );
  }
  // Header rows carry one more leading field ("HEADER") than the CLIENT_LIST rows they describe.
  const column = (name: string) => {
    const index = header.indexOf(name, 2);
    return index < 0 ? undefined : index - 1;
  };
  const commonName = column('Common Name');
  const clientId = column('Client ID');
  if (commonName === undefined || clientId === undefined) {
    throw new VpnChatopsError(
      'ENDPOINT',
      `the "status 3" CLIENT_LIST header lacks Common Name or Client ID (it has: ${header.slice(2).join(', ')}): OpenVPN 2.4 or later is needed`,
    );
  }
  const realAddress = column('Real Address');
  const connectedSince = column('Connected Since (time_t)');
  return rows
    .filter((row) => row[0] === 'CLIENT_LIST')
    .map((row) => ({
      connectionId: row[clientId],
      commonName: row[commonName],
      clientIp: realAddress === undefined ? undefined : hostOf(row[realAddress]),
      connectedAt: connectedSince === undefined ? undefined : dateOf(row[connectedSince]),
    }));
}

/** "1.2.3.4:51820", "[2001:db8::1]:1194", "udp4:1.2.3.4:51820" → the host part. */
function hostOf(address: string | undefined): string | undefined {
  const bare = (address ?? '').replace(/^(udp|tcp)[46]?(-server|-client)?:/, '');
  const bracketed = /^\[(.*)\]:\d+$/.exec(bare);
  if (bracketed) return bracketed[1];
  const portAt = bare.lastIndexOf(':');
  const host = portAt > 0 ? bare.slice(0, portAt) : bare;
  return host === '' ? undefined : host;
}

function dateOf(seconds: string | undefined): Date | undefined {
  const value = Number(seconds);
  return seconds && Number.isInteger(value) && value > 0 ? new Date(value * 1000) : undefined;
}

/**
 * True when the server killed the client; an ERROR reply (e.g. it already left) is not a failure of the whole batch.
 */
async function killClient(management: ManagementClient, connectionId: string): Promise<boolean> {
  // Client IDs are numbers; anything else could smuggle a second command onto the line.
  if (!/^\d+$/.test(connectionId)) return false;
  try {
    // HALT, not the default RESTART: a revoked member's client should stop, not reconnect at once.
    await management.command(`client-kill ${connectionId} HALT`);
    return true;
  } catch (error) {
    if (error instanceof ManagementCommandError) return false;
    throw error;
  }
}

/**
 * Replace `path` so that a reader sees the old file or the new one, never a partial one:
 * OpenVPN re-reads its crl-verify file on every connection attempt.
 */
async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const staging = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(staging, 'wx', mode);
    try {
      await file.writeFile(text);
      // open()'s mode is narrowed by the umask, and OpenVPN may read the file as another user after dropping
      // privileges.
      await file.chmod(mode);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(staging, path);
  } catch (error) {
    await rm(staging, { force: true });
    throw error;
  }
}

// Structural checks rather than `instanceof Error`: errors from Node's fs can come from another realm (as under Jest).
function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

function reason(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string'
    ? error.message
    : String(error);
}
