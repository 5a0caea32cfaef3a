import { randomBytes } from 'node:crypto';
import { assertWithinSlackLimits, type Surface } from '../../slack/views/limits';
import type { StandInState } from './state';
import type { FileSummary, SlackUser, StoredMessage, StoredView } from './types';
import { BOT_ID, BOT_USER_ID, TEAM_ID, TEAM_NAME, Workspace, dmChannelId } from './workspace';

/**
 * A Slack `{ ok: false, error }` answer, thrown from deep inside a handler; `messages` as Slack's response_metadata
 * carries them.
 */
export class SlackRefusal extends Error {
  constructor(
    readonly error: string,
    readonly messages?: string[],
  ) {
    super(error);
    this.name = 'SlackRefusal';
  }
}

const refuse = (error: string): never => {
  throw new SlackRefusal(error);
};

type Args = Record<string, unknown>;
export type Handler = (args: Args) => Record<string, unknown>;

/** Slack's interaction trigger ids; anything else is refused the way Slack refuses it. */
const TRIGGER_ID = /^\d+\.\d+\.[0-9a-f]+$/;
/** "trigger_id … expires in 3 seconds": a slow handler fails here as it would in Slack. */
const TRIGGER_TTL_MS = 3_000;

/** Views carry a fresh hash per change; a publish that names an older one lost a race (hash_conflict). */
const newHash = (): string => randomBytes(8).toString('hex');

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string argument; form bodies carry numbers as strings, JSON bodies may carry them as numbers. */
function optional(args: Args, key: string): string | undefined {
  const value = args[key];
  if (typeof value === 'string' && value !== '') return value;
  return typeof value === 'number' ? String(value) : undefined;
}

const required = (args: Args, key: string, error: string): string => optional(args, key) ?? refuse(error);

function blocksOf(args: Args): unknown[] | undefined {
  const blocks = args.blocks;
  if (blocks === undefined) return undefined;
  return Array.isArray(blocks) ? blocks : refuse('invalid_blocks');
}

/**
 * Slack refuses a whole message or view that breaks one Block Kit limit (invalid_blocks, or
 * invalid_arguments for a view), so the stand-in does too: every integration run checks the payloads
 * the bot really sends, not only the ones the view tests build. Stricter than Slack in one way: blocks
 * without fallback text are refused too, because every message this bot sends must carry it.
 */
export function checkBlockKit(surface: Surface, payload: Record<string, unknown>): void {
  try {
    assertWithinSlackLimits(surface, payload);
  } catch (error) {
    const problems = (error as Error).message.split('\n- ').slice(1);
    throw new SlackRefusal(
      surface === 'message' ? 'invalid_blocks' : 'invalid_arguments',
      problems.map((problem) => `[ERROR] ${problem}`),
    );
  }
}

/** A message's text and blocks, checked against the limits when it has blocks (plain text has none to break). */
function messageBlocks(args: Args): unknown[] | undefined {
  const blocks = blocksOf(args);
  if (blocks !== undefined && blocks.length > 0) checkBlockKit('message', { text: optional(args, 'text'), blocks });
  return blocks;
}

function viewOf(args: Args, surface: 'home' | 'modal'): Record<string, unknown> {
  const view = isRecord(args.view) ? args.view : refuse('invalid_arguments');
  if (view.type !== surface) refuse('invalid_arguments');
  checkBlockKit(surface, view);
  return view;
}

function messageJson(message: StoredMessage): Record<string, unknown> {
  const { reactions, files, ...rest } = message;
  return {
    type: 'message',
    ...rest,
    ...(reactions.length > 0 ? { reactions } : {}),
    ...(files.length > 0 ? { files } : {}),
  };
}

function viewJson(stored: StoredView): Record<string, unknown> {
  return {
    ...stored.view,
    id: stored.id,
    team_id: TEAM_ID,
    bot_id: BOT_ID,
    hash: stored.hash,
    root_view_id: stored.id,
    state: { values: {} },
  };
}

const MAX_USERS_PAGE = 1_000;
/** Slack's users.list cursors are opaque; theirs read `user:<the next page's first id>` in base64, and so do these. */
const cursorFor = (userId: string): string => Buffer.from(`user:${userId}`).toString('base64');

/** Slack's Web API methods over the stand-in's workspace and state, keyed by method name. */
export function slackMethods(workspace: Workspace, state: StandInState, baseUrl: string): Record<string, Handler> {
  const channelOf = (args: Args, key = 'channel'): string =>
    workspace.channelFor(required(args, key, 'channel_not_found')) ?? refuse('channel_not_found');
  const userOf = (args: Args, key: string): SlackUser =>
    workspace.users.get(required(args, key, 'user_not_found')) ?? refuse('user_not_found');
  const liveMessage = (args: Args, tsKey: string): StoredMessage =>
    state.message(channelOf(args), required(args, tsKey, 'message_not_found')) ?? refuse('message_not_found');
  const checkHash = (args: Args, current: StoredView | undefined): void => {
    const hash = optional(args, 'hash');
    if (hash !== undefined && current !== undefined && hash !== current.hash) refuse('hash_conflict');
  };

  return {
    'auth.test': () => ({
      url: `${baseUrl}/`,
      team: TEAM_NAME,
      user: 'vpn-chatops',
      team_id: TEAM_ID,
      user_id: BOT_USER_ID,
      bot_id: BOT_ID,
      is_enterprise_install: false,
    }),

    'users.info': (args) => ({ user: workspace.userJson(userOf(args, 'user')) }),

    'users.list': (args) => {
      // Another organization's people (Slack Connect) are not this workspace's accounts, so Slack does not list them.
      const users = [...workspace.users.values()].filter((user) => !user.is_stranger);
      const cursor = optional(args, 'cursor');
      const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64').toString('utf8');
      const start = after === undefined ? 0 : users.findIndex((user) => `user:${user.id}` === after);
      if (start < 0) refuse('invalid_cursor');
      const limit = Number(optional(args, 'limit') ?? 0);
      if (!Number.isInteger(limit) || limit < 0) refuse('invalid_limit');
      // No limit asks for everything; Slack caps a page at 1,000.
      const end = limit === 0 ? users.length : start + Math.min(limit, MAX_USERS_PAGE);
      return {
        members: users.slice(start, end).map((user) => workspace.userJson(user)),
        cache_ts: Math.floor(Date.now() / 1000),
        response_metadata: { next_cursor: end < users.length ? cursorFor(users[end].id) : '' },
      };
    },

    'usergroups.users.list': (args) => ({
      users: [
        ...(workspace.usergroups.get(required(args, 'usergroup', 'no_such_subteam')) ?? refuse('no_such_subteam')),
      ],
    }),

    'conversations.open': (args) => {
      const ids = required(args, 'users', 'users_list_not_supplied')
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean);
      // Group DMs (several users) are not modelled: the bot only ever talks to one person at a time.
      if (ids.length !== 1) refuse('not_supported_by_standin');
      const user = workspace.users.get(ids[0]) ?? refuse('user_not_found');
      if (user.id === BOT_USER_ID) refuse('cannot_dm_bot');
      if (user.deleted) refuse('user_disabled');
      const channel = dmChannelId(user.id);
      // A top-level `warning`, as Slack sends it; response_metadata.warnings would make web-api log it.
      return state.openDm(channel, user.id)
        ? { channel: { id: channel } }
        : { no_op: true, already_open: true, warning: 'already_open', channel: { id: channel } };
    },

    'chat.postMessage': (args) => {
      const channel = channelOf(args);
      const text = optional(args, 'text');
      const blocks = messageBlocks(args);
      if (text === undefined && blocks === undefined) refuse('no_text');
      const threadTs = optional(args, 'thread_ts');
      const message: StoredMessage = {
        channel,
        ts: state.nextTs(),
        user: BOT_USER_ID,
        bot_id: BOT_ID,
        text: text ?? '',
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        reactions: [],
        files: [],
      };
      state.addMessage(message);
      return { channel, ts: message.ts, message: messageJson(message) };
    },

    'chat.postEphemeral': (args) => {
      const user = userOf(args, 'user').id;
      const channel = channelOf(args);
      if (channel.startsWith('D') && channel !== dmChannelId(user)) refuse('user_not_in_channel');
      const text = optional(args, 'text');
      const blocks = messageBlocks(args);
      if (text === undefined && blocks === undefined) refuse('no_text');
      const threadTs = optional(args, 'thread_ts');
      const ts = state.nextTs();
      state.addEphemeral({
        channel,
        user,
        ts,
        text: text ?? '',
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return { message_ts: ts };
    },

    'chat.update': (args) => {
      const message = liveMessage(args, 'ts');
      const text = optional(args, 'text');
      const blocks = messageBlocks(args);
      if (text === undefined && blocks === undefined) refuse('no_text');
      // Slack keeps the old blocks when none are sent and drops them for an empty list.
      message.text = text ?? '';
      if (blocks !== undefined && blocks.length === 0) delete message.blocks;
      else if (blocks !== undefined) message.blocks = blocks;
      message.edited = { user: BOT_USER_ID, ts: state.nextTs() };
      state.emit({ kind: 'message_updated', channel: message.channel, ts: message.ts });
      return { channel: message.channel, ts: message.ts, text: message.text, message: messageJson(message) };
    },

    'views.publish': (args) => {
      const user = userOf(args, 'user_id').id;
      const view = viewOf(args, 'home');
      const id = state.homeViewId(user);
      checkHash(args, id === undefined ? undefined : state.view(id));
      const stored: StoredView = { id: id ?? state.nextId('V'), user, hash: newHash(), view };
      state.saveView(stored, 'home');
      return { view: viewJson(stored) };
    },

    'views.open': (args) => {
      const triggerId = optional(args, 'trigger_id');
      if (triggerId === undefined || !TRIGGER_ID.test(triggerId)) return refuse('invalid_trigger_id');
      const trigger = state.trigger(triggerId);
      if (trigger && Date.now() - trigger.mintedAt > TRIGGER_TTL_MS) refuse('expired_trigger_id');
      const view = viewOf(args, 'modal');
      const stored: StoredView = { id: state.nextId('V'), user: trigger?.user, hash: newHash(), view };
      state.saveView(stored, 'modal');
      return { view: viewJson(stored) };
    },

    'views.update': (args) => {
      const current = state.view(required(args, 'view_id', 'not_found')) ?? refuse('not_found');
      checkHash(args, current);
      const surface = current.view.type === 'home' ? 'home' : 'modal';
      const view = viewOf(args, surface);
      const stored: StoredView = { ...current, hash: newHash(), view };
      state.saveView(stored, surface);
      return { view: viewJson(stored) };
    },

    'reactions.get': (args) => {
      const message = liveMessage(args, 'timestamp');
      return { type: 'message', channel: message.channel, message: messageJson(message) };
    },

    'reactions.add': (args) => {
      const name = required(args, 'name', 'invalid_name');
      if (/\s/.test(name)) refuse('invalid_name');
      const message = liveMessage(args, 'timestamp');
      // `user` is the stand-in's own argument: the console and tests use it to react as a person.
      const user = args.user === undefined ? BOT_USER_ID : userOf(args, 'user').id;
      const reaction = message.reactions.find((existing) => existing.name === name);
      if (reaction?.users.includes(user)) refuse('already_reacted');
      if (reaction) {
        reaction.users.push(user);
        reaction.count += 1;
      } else {
        message.reactions.push({ name, users: [user], count: 1 });
      }
      state.emit({ kind: 'reaction_added', channel: message.channel, ts: message.ts, user, name });
      return {};
    },

    'files.getUploadURLExternal': (args) => {
      const name = required(args, 'filename', 'invalid_arguments');
      const length = Number(required(args, 'length', 'invalid_arguments'));
      if (!Number.isInteger(length) || length < 1) refuse('invalid_arguments');
      const id = state.nextId('F');
      state.addFile({ id, name, title: name, bytes: undefined, channel: undefined });
      return { upload_url: `${baseUrl}/upload/${id}`, file_id: id };
    },

    'files.completeUploadExternal': (args) => {
      const entries = Array.isArray(args.files) && args.files.length > 0 ? args.files : refuse('invalid_arguments');
      const channel = args.channel_id === undefined ? undefined : channelOf(args, 'channel_id');
      const blocks = blocksOf(args);
      if (blocks !== undefined && blocks.length > 0)
        checkBlockKit('message', { text: optional(args, 'initial_comment'), blocks });
      // Check every file before sharing any, so a refusal leaves nothing half-shared.
      const files = entries.map((entry) => {
        const id = isRecord(entry) && typeof entry.id === 'string' ? entry.id : refuse('invalid_arguments');
        const file = state.liveFile(id);
        // Never announced or never uploaded: either way there is no file to share.
        if (!file?.bytes) return refuse('file_not_found');
        return {
          file,
          size: file.bytes.length,
          title: isRecord(entry) && typeof entry.title === 'string' ? entry.title : undefined,
        };
      });
      const created = Math.floor(Date.now() / 1000);
      const summaries: FileSummary[] = files.map(({ file, size, title }) => {
        file.title = title ?? file.name;
        file.channel = channel;
        const url = `${baseUrl}/files/${file.id}`;
        return {
          id: file.id,
          name: file.name,
          title: file.title,
          size,
          user: BOT_USER_ID,
          created,
          permalink: url,
          url_private: url,
          url_private_download: url,
        };
      });
      if (channel !== undefined) {
        const threadTs = optional(args, 'thread_ts');
        state.addMessage({
          channel,
          ts: state.nextTs(),
          user: BOT_USER_ID,
          bot_id: BOT_ID,
          text: optional(args, 'initial_comment') ?? '',
          ...(blocks ? { blocks } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          reactions: [],
          files: summaries,
        });
      }
      return { files: summaries };
    },
  };
}
