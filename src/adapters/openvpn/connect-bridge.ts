import type { ConnectDecision, ConnectRequest } from '../../domain/approval';
import type { ManagementClient } from './management';

export interface OpenVpnConnectBridgeOptions {
  /**
   * A connection held open for as long as the bridge runs: OpenVPN asks only the management client connected at that
   * moment.
   */
  management: ManagementClient;
  endpointId: string;
  decide: (request: ConnectRequest) => Promise<ConnectDecision>;
  /**
   * Whether `commonName`'s certificate is still active; consulted on TLS renegotiation, which must not prompt anyone.
   */
  reauth?: (commonName: string) => Promise<boolean>;
  log?: (message: string, error?: unknown) => void;
}

/**
 * A `>CLIENT:CONNECT` or `>CLIENT:REAUTH`: OpenVPN holds the client until it gets an answer for this client and key id.
 */
interface Question {
  kind: 'CONNECT' | 'REAUTH';
  clientId: string;
  keyId: string;
}

/** A `>CLIENT:` notification with its `>CLIENT:ENV` lines, collected up to `>CLIENT:ENV,END`. */
interface ClientBlock {
  /** Absent for ESTABLISHED, DISCONNECT and the rest, whose ENV is collected only to be skipped. */
  question?: Question;
  env: Map<string, string>;
}

/**
 * OpenVPN's own limit on one parsed command parameter is 256 bytes (OPTION_PARM_SIZE, counting its NUL);
 * a longer one makes the whole client-deny fail, which would leave the client waiting out its hand-window.
 */
const MAX_CLIENT_REASON_BYTES = 200;

const FAILED_CLOSED: Pick<ConnectDecision, 'reason' | 'message'> = {
  reason: 'error',
  message: 'Login approval is unavailable right now; try again in a few minutes.',
};
const REAUTH_REFUSED = {
  reason: 'reauth-refused',
  message: 'Your certificate is no longer active; ask an admin for a new one.',
};

const QUESTION = /^>CLIENT:(CONNECT|REAUTH),(\d+),(\d+)$/;
const ENV_PREFIX = '>CLIENT:ENV,';

/**
 * Answers OpenVPN's `--management-client-auth` questions (doc/management-notes.txt): each new
 * connection is decided by `decide`, each TLS renegotiation by `reauth`. Decisions run side by side,
 * since one person's pending approval must not hold up anyone else's login. The server also needs
 * `--auth-user-pass-optional`, or it refuses certificate-only clients before asking.
 */
export class OpenVpnConnectBridge {
  private block: ClientBlock | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: OpenVpnConnectBridgeOptions) {}

  start(): void {
    this.unsubscribe ??= this.options.management.onNotification((line) => this.receive(line));
  }

  /** Stops listening; decisions already under way still answer, so their clients are not left waiting. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.block = undefined;
  }

  private receive(line: string): void {
    if (line.startsWith(ENV_PREFIX)) this.collect(line.slice(ENV_PREFIX.length));
    else if (line.startsWith('>CLIENT:')) this.begin(line);
  }

  private begin(line: string): void {
    const unfinished = this.block?.question;
    if (unfinished)
      this.log(
        `>CLIENT:${unfinished.kind} for client ${unfinished.clientId} ended without >CLIENT:ENV,END, so it was not answered`,
      );
    const match = QUESTION.exec(line);
    const question: Question | undefined = match
      ? { kind: match[1] === 'CONNECT' ? 'CONNECT' : 'REAUTH', clientId: match[2], keyId: match[3] }
      : undefined;
    this.block = { question, env: new Map() };
  }

  private collect(entry: string): void {
    const block = this.block;
    if (!block) return;
    if (entry === 'END') {
      this.block = undefined;
      if (block.question) void this.answer(block.question, block.env);
      return;
    }
    const equals = entry.indexOf('=');
    if (equals > 0) block.env.set(entry.slice(0, equals), entry.slice(equals + 1));
  }

  /** Never rejects: every failure is logged, and anything short of a clear yes denies. */
  private async answer(question: Question, env: Map<string, string>): Promise<void> {
    const command =
      question.kind === 'CONNECT'
        ? await this.connectCommand(question, env)
        : await this.reauthCommand(question, env.get('common_name') ?? '');
    try {
      await this.options.management.command(command);
    } catch (error) {
      // Typically the client gave up or was dropped meanwhile, and OpenVPN answers ERROR.
      this.log(`answering client ${question.clientId} failed`, error);
    }
  }

  private async connectCommand(question: Question, env: Map<string, string>): Promise<string> {
    const request = this.requestFrom(question.clientId, env);
    try {
      const decision = await this.options.decide(request);
      return decision.allow ? allowCommand(question) : denyCommand(question, decision.reason, decision.message);
    } catch (error) {
      this.log(`deciding connection ${request.connectionId} of ${request.commonName} failed, so it is denied`, error);
      return denyCommand(question, FAILED_CLOSED.reason, FAILED_CLOSED.message);
    }
  }

  private async reauthCommand(question: Question, commonName: string): Promise<string> {
    let active = false;
    try {
      active = this.options.reauth !== undefined && (await this.options.reauth(commonName));
    } catch (error) {
      this.log(`checking ${commonName} on renegotiation failed, so it is denied`, error);
    }
    return active ? allowCommand(question) : denyCommand(question, REAUTH_REFUSED.reason, REAUTH_REFUSED.message);
  }

  private requestFrom(connectionId: string, env: Map<string, string>): ConnectRequest {
    const value = (name: string) => env.get(name) ?? '';
    return {
      connectionId,
      endpointId: this.options.endpointId,
      commonName: value('common_name'),
      publicIp: env.get('untrusted_ip') ?? value('untrusted_ip6'),
      platform: value('IV_PLAT'),
      platformVersion: value('IV_PLAT_VER'),
      clientVersion: value('IV_VER'),
    };
  }

  private log(message: string, error?: unknown): void {
    try {
      this.options.log?.(`OpenVPN connect bridge (${this.options.endpointId}): ${message}`, error);
    } catch {
      // Answers are sent from detached promises, where a throwing logger would become an unhandled rejection.
    }
  }
}

function allowCommand(question: Question): string {
  return `client-auth-nt ${question.clientId} ${question.keyId}`;
}

function denyCommand(question: Question, reason: string, message: string): string {
  return `client-deny ${question.clientId} ${question.keyId} "${quotable(reason)}" "${quotable(message)}"`;
}

/**
 * Text that stays one parameter inside double quotes: OpenVPN's parser treats `"` and `\` specially,
 * and a line break would end the command.
 */
function quotable(text: string): string {
  const flat = [...text.replace(/\s+/g, ' ')].filter(
    (character) => character >= ' ' && character !== '\u007f' && character !== '"' && character !== '\\',
  );
  return truncateUtf8(flat.join('').trim(), MAX_CLIENT_REASON_BYTES);
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let result = '';
  let bytes = 0;
  for (const character of text) {
    bytes += Buffer.byteLength(character);
    if (bytes > maxBytes) break;
    result += character;
  }
  return result;
}
