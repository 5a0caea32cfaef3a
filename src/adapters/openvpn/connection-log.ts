import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { VpnChatopsError, messageOf } from '../../domain/errors';
import { OpenVpnLogParser } from '../../domain/openvpn-log';
import type { ConnectionLogRead, ConnectionLogSource } from '../../ports';

export interface OpenVpnConnectionLogOptions {
  /** Short name: the summary belongs to `openvpn:<name>`. */
  name: string;
  /** The server's `--log`/`--log-append` file, or a syslog file it writes to. */
  logFile: string;
  /** Only the end of a larger file is read, and the summary says so: `--log-append` files grow forever. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

const size = (bytes: number) =>
  bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${Math.round(bytes / 1024 / 1024)} MB`;

/** A self-hosted OpenVPN server's connection attempts, read from its log file. */
export class OpenVpnConnectionLog implements ConnectionLogSource {
  readonly endpoint: string;

  constructor(private readonly options: OpenVpnConnectionLogOptions) {
    this.endpoint = `openvpn:${options.name}`;
  }

  async read(from: Date, to: Date): Promise<ConnectionLogRead> {
    const { logFile } = this.options;
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    let bytes: number;
    try {
      const info = await stat(logFile);
      if (!info.isFile())
        throw new VpnChatopsError(
          'ENDPOINT',
          `${this.endpoint}: ${logFile} is not a regular file: point "logFile" in VPN_ENDPOINTS at the server's --log-append file.`,
        );
      bytes = info.size;
    } catch (error) {
      if (error instanceof VpnChatopsError) throw error;
      throw this.unreadable(error);
    }
    const start = Math.max(0, bytes - maxBytes);
    const parser = new OpenVpnLogParser({ now: to.getTime(), from: from.getTime(), to: to.getTime() });
    const lines = createInterface({
      input: createReadStream(logFile, { start, encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    let first = start > 0;
    try {
      for await (const line of lines) {
        // Reading from the middle of the file: the first line is a fragment.
        if (first) {
          first = false;
          continue;
        }
        parser.push(line);
      }
    } catch (error) {
      throw this.unreadable(error);
    }
    const attempts = parser.finish().filter((attempt) => attempt.at < to.getTime());
    return {
      attempts,
      events: parser.lines,
      malformed: parser.malformed,
      ignored: 0,
      unrecognisedFields: new Set(),
      ...(start > 0 && {
        truncated: `read only the last ${size(maxBytes)} of ${logFile} (${size(bytes)}); older attempts are not in this summary`,
      }),
    };
  }

  private unreadable(error: unknown): VpnChatopsError {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
    const { logFile } = this.options;
    const problem =
      code === 'ENOENT'
        ? `there is no log file at ${logFile} yet: start the server with --log-append ${logFile} (or fix "logFile" in VPN_ENDPOINTS)`
        : code === 'EACCES'
          ? `the bot may not read ${logFile}: give the user it runs as read access`
          : `could not read ${logFile} (${messageOf(error)})`;
    return new VpnChatopsError('ENDPOINT', `${this.endpoint}: ${problem}.`, { cause: error });
  }
}
