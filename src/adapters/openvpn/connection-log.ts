import { createReadStream, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { VpnChatopsError, messageOf } from '../../domain/errors';
import { OpenVpnLogParser } from '../../domain/openvpn-log';
import type {
  ConnectionLogRead,
  ConnectionLogSource,
  GrowingLogFile,
  GrowingLogRead,
  LogFilePosition,
} from '../../ports';

export interface OpenVpnConnectionLogOptions {
  /** Short name: the summary belongs to `openvpn:<name>`. */
  name: string;
  /** The server's `--log`/`--log-append` file, or a syslog file it writes to. */
  logFile: string;
  /** Only the end of a larger file is read, and the summary says so: `--log-append` files grow forever. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** A longer stretch without a newline is not a server's log line: it is handed on cut, so memory stays bounded. */
const MAX_LINE_BYTES = 64 * 1024;
/**
 * How many bytes before the position are kept to recognise the file at the next read: enough for the last line
 * with its timestamp, which a file truncated and written again does not have at the same place.
 */
const MARK_BYTES = 256;
const NEWLINE = 0x0a;

const size = (bytes: number) =>
  bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${Math.round(bytes / 1024 / 1024)} MB`;

const lineOf = (bytes: Buffer) => bytes.toString('utf8').replace(/\r$/, '');

/** A self-hosted OpenVPN server's connection attempts, read from its log file. */
export class OpenVpnConnectionLog implements ConnectionLogSource, GrowingLogFile {
  readonly endpoint: string;

  constructor(private readonly options: OpenVpnConnectionLogOptions) {
    this.endpoint = `openvpn:${options.name}`;
  }

  async read(from: Date, to: Date): Promise<ConnectionLogRead> {
    const { logFile } = this.options;
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    const bytes = (await this.stat()).size;
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

  async readSince(after: LogFilePosition | undefined, line: (text: string) => void): Promise<GrowingLogRead> {
    const { logFile } = this.options;
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    const info = await this.stat();
    const file = `${info.dev}:${info.ino}`;
    const resume = after !== undefined && (await this.continues(after, file, info)) ? after.offset : 0;
    const start = Math.max(resume, info.size - maxBytes);
    let offset = start;
    // Starting past where the last read stopped means starting mid-line: that fragment is not a line.
    let fragment = start > resume;
    let partial: Buffer | undefined;
    const emit = (bytes: Buffer, newline: boolean) => {
      offset += bytes.length + (newline ? 1 : 0);
      if (fragment) fragment = false;
      else line(lineOf(bytes));
    };
    if (start < info.size)
      try {
        // Only up to the size seen: the server may be writing, and a line it has not finished is read next time.
        for await (const chunk of createReadStream(logFile, { start, end: info.size - 1 }) as AsyncIterable<Buffer>) {
          let from = 0;
          for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, from)) {
            const piece = chunk.subarray(from, newline);
            emit(partial ? Buffer.concat([partial, piece]) : piece, true);
            partial = undefined;
            from = newline + 1;
          }
          if (from < chunk.length)
            partial = Buffer.concat(partial ? [partial, chunk.subarray(from)] : [chunk.subarray(from)]);
          if (partial && partial.length > MAX_LINE_BYTES) {
            emit(partial, false);
            partial = undefined;
          }
        }
      } catch (error) {
        throw this.unreadable(error);
      }
    return {
      position: { file, offset, mark: await this.markAt(offset) },
      ...(start > resume && {
        skipped: `read only the last ${size(maxBytes)} of the ${size(info.size - resume)} of ${logFile} not read before; older attempts are not in this summary`,
      }),
    };
  }

  /**
   * Whether the file is the one `after` was read from, grown since: not replaced, truncated, or truncated and regrown.
   */
  private async continues(after: LogFilePosition, file: string, info: Stats): Promise<boolean> {
    return after.file === file && after.offset <= info.size && (await this.markAt(after.offset)) === after.mark;
  }

  private async markAt(offset: number): Promise<string> {
    const start = Math.max(0, offset - MARK_BYTES);
    const bytes = Buffer.alloc(offset - start);
    try {
      const handle = await open(this.options.logFile, 'r');
      try {
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
        return bytes.subarray(0, bytesRead).toString('base64');
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw this.unreadable(error);
    }
  }

  private async stat(): Promise<Stats> {
    const { logFile } = this.options;
    let info: Stats;
    try {
      info = await stat(logFile);
    } catch (error) {
      throw this.unreadable(error);
    }
    if (!info.isFile())
      throw new VpnChatopsError(
        'ENDPOINT',
        `${this.endpoint}: ${logFile} is not a regular file: point "logFile" in VPN_ENDPOINTS at the server's --log-append file.`,
      );
    return info;
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
