import { randomBytes } from 'node:crypto';
import { IncomingMessage, STATUS_CODES, Server, ServerResponse, createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { VpnChatopsError, messageOf } from '../../domain/errors';
import { Handler, SlackRefusal, checkBlockKit, slackMethods } from './methods';
import { RateLimiter, RateRule, rateRules } from './rate-limit';
import { parseApiRequest, readBody, uploadedBytes } from './request';
import { ChangeListener, StandInState, trimOldest, trimOldestKeys } from './state';
import type {
  EphemeralMessage,
  Fault,
  RecordedCall,
  Retention,
  StandInOptions,
  StoredFile,
  StoredMessage,
  SlackUser,
  StoredView,
} from './types';
import { BOT_ID, BOT_USER_ID, DEFAULT_USERGROUPS, DEFAULT_USERS, GENERAL_CHANNEL, Workspace } from './workspace';
import { BOT_SCOPES } from '../../adapters/slack-web/scopes';
import { SCOPE_NEEDED } from './scopes';
import { hostRefusal } from '../loopback-guard';

/** The text and blocks of a message body as an app sends it (ack, response_url). */
function messageContent(body: Record<string, unknown>): { text: string; blocks?: unknown[] } {
  const text = typeof body.text === 'string' ? body.text : '';
  return Array.isArray(body.blocks) && body.blocks.length > 0 ? { text, blocks: body.blocks } : { text };
}

export type * from './types';
export {
  BOT_ID,
  BOT_USER_ID,
  DEFAULT_USERGROUPS,
  DEFAULT_USERS,
  GENERAL_CHANNEL,
  TEAM_ID,
  dmChannelId,
} from './workspace';

/**
 * A local Slack Web API for tests and the local console. Point a WebClient (or Bolt's
 * `clientOptions.slackApiUrl`) at `apiUrl`; read back what the bot did; inject faults.
 */
export interface SlackStandIn {
  /** `http://127.0.0.1:<port>`: upload URLs and file links live under it. */
  readonly url: string;
  /** `<url>/api/`, for `slackApiUrl`. */
  readonly apiUrl: string;
  readonly port: number;
  readonly token: string;
  readonly workspace: Workspace;
  /**
   * The bot token's scopes: sent in `x-oauth-scopes` as Slack does, and a method needing another answers
   * `missing_scope`.
   */
  readonly scopes: readonly string[];
  /** Every Web API call, in arrival order, including refused and faulted ones. */
  readonly calls: readonly RecordedCall[];
  /** 429 answers given so far, injected or from rate limiting. */
  readonly rateLimited: number;
  callsTo(method: string): RecordedCall[];
  /** Forget calls, messages, views, files, faults, delays and rate windows; the workspace stays. */
  reset(): void;
  /** Answer the next `times` calls to `method` with `fault` instead of doing the work. */
  failNext(method: string, fault: Fault, times?: number): void;
  /** Hold every call to `method` for `ms` before answering (0 removes the delay). */
  delay(method: string, ms: number): void;
  /** A channel's messages, oldest first; a user id means the bot's DM with that user. */
  messages(channel: string): StoredMessage[];
  ephemerals(user: string): EphemeralMessage[];
  homeView(user: string): StoredView | undefined;
  openModal(user: string): StoredView | undefined;
  file(id: string): StoredFile | undefined;
  /** A trigger id for an interaction payload, so views.open knows whose modal it opens. */
  mintTriggerId(user: string): string;
  /**
   * A response_url for a command or interaction by `user` in `context.channel` (default #general);
   * what the bot posts to it is kept in order and shown as Slack would: ephemeral messages to `user`,
   * `replace_original` / `delete_original` acting on `context.originalTs` (the ephemeral the click came from).
   */
  mintResponseUrl(user: string, context?: { channel?: string; originalTs?: string }): string;
  /** A fresh, strictly increasing message ts: reserve one before sending a command, so its answer sorts first. */
  nextTs(): string;
  /** A message the app put in its HTTP answer to a command or click (the ack): Slack shows it to `user` only. */
  postAppAnswer(user: string, channel: string, ts: string, body: Record<string, unknown>): void;
  /** `user` reacts with `name` to a message, as a person would in Slack (the app then gets reaction_added). */
  addReaction(user: string, channel: string, ts: string, name: string): { ok: true } | { ok: false; error: string };
  /**
   * A workspace admin deactivates `user` or makes them a guest: users.info says so from now on. Returns the
   * user_change event Slack then sends every app in the workspace, for the caller to deliver.
   */
  changeAccount(
    user: string,
    change: Pick<SlackUser, 'deleted' | 'is_restricted' | 'is_ultra_restricted'>,
  ): Record<string, unknown>;
  /** `user` closed their modal. */
  closeModal(user: string): void;
  /**
   * A view the app returned in its answer to a submission (`response_action: update|push`): it becomes the open modal.
   */
  showModal(user: string, view: Record<string, unknown>): void;
  /** Every channel that holds a message. */
  channelIds(): string[];
  /** Everything posted to `user`'s response URLs, oldest first (replace_original / delete_original as sent). */
  responses(user: string): ResponsePost[];
  /** Called on every state change; returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void;
  stop(): Promise<void>;
}

const API_PATH = /^\/api\/([A-Za-z0-9_.]+)$/;
const UPLOAD_PATH = /^\/upload\/([A-Z0-9]+)$/;
const RESPONSE_PATH = /^\/response\/([a-f0-9]+)$/;

/** A message the bot posted to a response_url. */
export interface ResponsePost {
  user: string;
  at: Date;
  body: Record<string, unknown>;
}
const FILE_PATH = /^\/files\/([A-Z0-9]+)$/;

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

const sendJson = (
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void => send(res, status, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8', ...headers });

class LocalSlack implements SlackStandIn {
  readonly url: string;
  readonly apiUrl: string;
  readonly token: string;
  readonly workspace: Workspace;
  readonly scopes: readonly string[];
  readonly calls: RecordedCall[] = [];
  rateLimited = 0;
  private readonly state: StandInState;
  private readonly methods: Record<string, Handler>;
  private readonly limiter: RateLimiter;
  private readonly faults = new Map<string, Fault[]>();
  private readonly delays = new Map<string, number>();
  private readonly responseUrls = new Map<string, { user: string; channel: string; originalTs?: string }>();
  private readonly responsePosts: ResponsePost[] = [];
  /** Aborts delayed answers on stop(), so no timer outlives the server. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly server: Server,
    readonly port: number,
    token: string,
    workspace: Workspace,
    rules: Map<string, readonly RateRule[]>,
    scopes: readonly string[],
    private readonly retention?: Retention,
  ) {
    this.state = new StandInState(retention);
    this.scopes = [...scopes];
    this.url = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.url}/api/`;
    this.token = token;
    this.workspace = workspace;
    this.methods = slackMethods(workspace, this.state, this.url);
    this.limiter = new RateLimiter(rules);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.serve(req, res));
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  reset(): void {
    this.calls.length = 0;
    this.rateLimited = 0;
    this.faults.clear();
    this.delays.clear();
    this.limiter.reset();
    this.state.clear();
    this.responsePosts.length = 0;
  }

  failNext(method: string, fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 1)
      throw new VpnChatopsError(
        'INVALID_CONFIG',
        `failNext(${method}) needs a whole number of times, at least 1; got ${times}.`,
      );
    this.faults.set(method, [...(this.faults.get(method) ?? []), ...Array.from({ length: times }, () => fault)]);
  }

  delay(method: string, ms: number): void {
    if (ms > 0) this.delays.set(method, ms);
    else this.delays.delete(method);
  }

  messages(channel: string): StoredMessage[] {
    return this.state.messages(this.workspace.channelFor(channel) ?? channel);
  }

  ephemerals(user: string): EphemeralMessage[] {
    return this.state.ephemerals(user);
  }

  homeView(user: string): StoredView | undefined {
    return this.state.homeView(user);
  }

  openModal(user: string): StoredView | undefined {
    return this.state.openModal(user);
  }

  file(id: string): StoredFile | undefined {
    return this.state.file(id);
  }

  mintTriggerId(user: string): string {
    if (!this.workspace.users.has(user))
      throw new VpnChatopsError('NOT_FOUND', `No user ${user} in the Slack stand-in's workspace.`);
    return this.state.mintTrigger(user);
  }

  onChange(listener: ChangeListener): () => void {
    return this.state.onChange(listener);
  }

  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive sockets (fetch pools them) would otherwise hold close() open for seconds.
    this.server.closeAllConnections();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // Its file links serve profiles without a token: a rebound DNS name must not reach them.
      const refusal = hostRefusal(req, this.port);
      if (refusal) return send(res, 403, refusal, { 'content-type': 'text/plain; charset=utf-8' });
      const url = new URL(req.url ?? '/', this.url);
      const body = await readBody(req);
      const api = API_PATH.exec(url.pathname);
      const upload = UPLOAD_PATH.exec(url.pathname);
      const download = FILE_PATH.exec(url.pathname);
      const response = RESPONSE_PATH.exec(url.pathname);
      if (api) await this.api(api[1], req, body, url.searchParams, res);
      else if (response && req.method === 'POST') this.receiveResponse(response[1], body, res);
      else if (upload && (req.method === 'POST' || req.method === 'PUT')) await this.upload(upload[1], req, body, res);
      else if (download && req.method === 'GET') this.download(download[1], res);
      else send(res, 404, 'Not Found', { 'content-type': 'text/plain' });
    } catch (error) {
      if (this.stopping.signal.aborted || res.headersSent) return;
      sendJson(res, 500, { ok: false, error: 'internal_error', detail: messageOf(error) });
    }
  }

  private async api(
    method: string,
    req: IncomingMessage,
    body: Buffer,
    query: URLSearchParams,
    res: ServerResponse,
  ): Promise<void> {
    const request = await parseApiRequest(req, body, query);
    this.calls.push({ method, args: request.args, at: new Date(), token: request.token });
    trimOldest(this.calls, this.retention?.calls);
    const delayMs = this.delays.get(method);
    if (delayMs !== undefined) await sleep(delayMs, undefined, { signal: this.stopping.signal });
    const fault = this.faults.get(method)?.shift();
    if (fault) return this.sendFault(res, fault);
    if (request.token !== this.token)
      return sendJson(res, 200, { ok: false, error: request.token === undefined ? 'not_authed' : 'invalid_auth' });
    if (request.malformed !== undefined) return sendJson(res, 200, { ok: false, error: request.malformed });
    const scopes = { 'x-oauth-scopes': this.scopes.join(',') };
    const handler = this.methods[method];
    if (!handler) return sendJson(res, 200, { ok: false, error: 'unknown_method', req_method: method }, scopes);
    const needed = SCOPE_NEEDED[method];
    if (needed !== undefined && !this.scopes.includes(needed))
      return sendJson(res, 200, { ok: false, error: 'missing_scope', needed, provided: this.scopes.join(',') }, scopes);
    const channel =
      typeof request.args.channel === 'string'
        ? (this.workspace.channelFor(request.args.channel) ?? request.args.channel)
        : undefined;
    const retryAfter = this.limiter.admit(method, channel);
    if (retryAfter !== undefined) return this.sendFault(res, { status: 429, retryAfter });
    try {
      // A copy, so what the state keeps and what `calls` recorded never alias each other.
      sendJson(res, 200, { ok: true, ...handler(structuredClone(request.args)) }, scopes);
    } catch (error) {
      if (!(error instanceof SlackRefusal)) throw error;
      sendJson(
        res,
        200,
        { ok: false, error: error.error, ...(error.messages && { response_metadata: { messages: error.messages } }) },
        scopes,
      );
    }
  }

  private sendFault(res: ServerResponse, fault: Fault): void {
    if ('error' in fault) return sendJson(res, 200, { ok: false, error: fault.error });
    if (fault.status === 429) {
      this.rateLimited += 1;
      return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
    }
    send(res, fault.status, STATUS_CODES[fault.status] ?? 'Server Error', { 'content-type': 'text/plain' });
  }

  mintResponseUrl(user: string, context: { channel?: string; originalTs?: string } = {}): string {
    const id = randomBytes(8).toString('hex');
    this.responseUrls.set(id, { user, channel: context.channel ?? GENERAL_CHANNEL, originalTs: context.originalTs });
    trimOldestKeys(this.responseUrls, this.retention?.calls);
    return `${this.url}/response/${id}`;
  }

  nextTs(): string {
    return this.state.nextTs();
  }

  postAppAnswer(user: string, channel: string, ts: string, body: Record<string, unknown>): void {
    const content = messageContent(body);
    if (content.text === '' && !content.blocks) return;
    this.state.addEphemeral({ channel, user, ts, ...content });
  }

  addReaction(user: string, channel: string, ts: string, name: string): { ok: true } | { ok: false; error: string } {
    try {
      this.methods['reactions.add']({ channel, timestamp: ts, name, user });
      return { ok: true };
    } catch (error) {
      if (error instanceof SlackRefusal) return { ok: false, error: error.error };
      throw error;
    }
  }

  changeAccount(
    user: string,
    change: Pick<SlackUser, 'deleted' | 'is_restricted' | 'is_ultra_restricted'>,
  ): Record<string, unknown> {
    const changed = this.workspace.changeAccount(user, change);
    const ts = this.state.nextTs();
    return {
      type: 'user_change',
      user: this.workspace.userJson(changed),
      cache_ts: Math.floor(Number(ts)),
      event_ts: ts,
    };
  }

  closeModal(user: string): void {
    this.state.closeModal(user);
  }

  showModal(user: string, view: Record<string, unknown>): void {
    const current = this.state.openModal(user);
    this.state.saveView(
      { id: current?.id ?? this.state.nextId('V'), user, hash: randomBytes(8).toString('hex'), view },
      'modal',
    );
  }

  channelIds(): string[] {
    return this.state.channelIds();
  }

  responses(user: string): ResponsePost[] {
    return this.responsePosts.filter((post) => post.user === user);
  }

  /** Like Slack: an unknown or garbled post is refused, a good one answers "ok". */
  private receiveResponse(id: string, body: Buffer, res: ServerResponse): void {
    const target = this.responseUrls.get(id);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (!target || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return send(res, 404, 'no_response_url', { 'content-type': 'text/plain' });
    const post = parsed as Record<string, unknown>;
    // Like a webhook: blocks over Block Kit's limits are refused whole, with a 400 and nothing shown.
    if (Array.isArray(post.blocks) && post.blocks.length > 0) {
      try {
        checkBlockKit('message', post);
      } catch (error) {
        if (!(error instanceof SlackRefusal)) throw error;
        return send(res, 400, error.error, { 'content-type': 'text/plain' });
      }
    }
    this.responsePosts.push({ user: target.user, at: new Date(), body: post });
    trimOldest(this.responsePosts, this.retention?.calls);
    this.showResponse(target, post);
    send(res, 200, 'ok', { 'content-type': 'text/plain' });
  }

  /** What a person sees after a response_url post: the original replaced or deleted, or a new message. */
  private showResponse(
    target: { user: string; channel: string; originalTs?: string },
    post: Record<string, unknown>,
  ): void {
    const { user, channel, originalTs } = target;
    if (post.delete_original === true) {
      if (originalTs !== undefined) this.state.deleteEphemeral(user, originalTs);
      return;
    }
    const content = messageContent(post);
    if (
      post.replace_original === true &&
      originalTs !== undefined &&
      this.state.replaceEphemeral(user, originalTs, content)
    )
      return;
    const ts = this.state.nextTs();
    if (post.response_type === 'in_channel') {
      this.state.addMessage({ channel, ts, user: BOT_USER_ID, bot_id: BOT_ID, ...content, reactions: [], files: [] });
      return;
    }
    const originalShown =
      originalTs !== undefined && this.state.ephemerals(user).some((message) => message.ts === originalTs);
    this.state.addEphemeral({ channel, user, ts, ...content });
    // With nothing to replace yet, the first message posted here becomes what later posts replace.
    if (!originalShown) target.originalTs = ts;
  }

  /** Slack's upload URLs answer plain text, "OK - <bytes>". */
  private async upload(fileId: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const bytes = await uploadedBytes(req, body);
    if (!this.state.receiveBytes(fileId, bytes)) return send(res, 404, 'Not Found', { 'content-type': 'text/plain' });
    send(res, 200, `OK - ${bytes.length}`, { 'content-type': 'text/plain' });
  }

  /** Unauthenticated, unlike Slack's url_private: it serves the console's download links on loopback. */
  private download(fileId: string, res: ServerResponse): void {
    const file = this.state.liveFile(fileId);
    if (!file?.bytes) return send(res, 404, 'Not Found', { 'content-type': 'text/plain' });
    send(res, 200, file.bytes, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    });
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (typeof address === 'object' && address !== null) resolve(address.port);
      else reject(new Error(`the Slack stand-in's server reports no TCP address (${String(address)})`));
    });
  });
}

/** Start the stand-in on 127.0.0.1 (a free port unless `options.port`); stop() it when done. */
export async function startSlackStandIn(options: StandInOptions = {}): Promise<SlackStandIn> {
  // Options are checked before the port is taken, so a bad one leaves nothing to clean up.
  // The default group names default users, so it only comes with them.
  const workspace = new Workspace(
    options.users ?? DEFAULT_USERS,
    options.usergroups ?? (options.users ? {} : DEFAULT_USERGROUPS),
  );
  const rules = rateRules(options);
  const server = createServer();
  const port = await listen(server, options.port ?? 0);
  return new LocalSlack(
    server,
    port,
    options.token ?? 'xoxb-local',
    workspace,
    rules,
    options.scopes ?? BOT_SCOPES,
    options.retention,
  );
}
