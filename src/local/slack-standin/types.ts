/** The public shapes of the Slack stand-in: what tests and the local console configure and read. */

export interface SlackUser {
  id: string;
  name: string;
  real_name: string;
  is_bot?: boolean;
  deleted?: boolean;
  is_admin?: boolean;
  /** A guest account (multi-channel). */
  is_restricted?: boolean;
  /** A single-channel guest; Slack sets is_restricted too. */
  is_ultra_restricted?: boolean;
  /** Someone from another organization (Slack Connect): their own team id, and Slack marks them a stranger. */
  team_id?: string;
  is_stranger?: boolean;
}

export interface StandInOptions {
  /** 0 (the default) picks a free port. The server always binds 127.0.0.1: it accepts any caller holding the token. */
  port?: number;
  /** The bot token the stand-in accepts; any other gets `invalid_auth`. Default `xoxb-local`. */
  token?: string;
  /** The workspace's people; replaces the defaults (U0ADMIN, U0ALICE, U0BOB). The bot user is always added. */
  users?: SlackUser[];
  /** Usergroup id → member ids. Default S0VPNADMINS → [U0ADMIN], or none when `users` is given. */
  usergroups?: Readonly<Record<string, readonly string[]>>;
  /** Sliding 60-second windows per method (per channel for chat.postMessage); these override `enforceRateLimits`. */
  rateLimits?: Record<string, { perMinute: number }>;
  /** Apply Slack's published tiers to the methods the stand-in serves. */
  enforceRateLimits?: boolean;
  /**
   * The bot token's scopes (default: the ones manifest.yml asks for); methods needing others answer `missing_scope`.
   */
  scopes?: readonly string[];
  /** How much history to keep; without it, everything (tests read it all back). A long-running console bounds it. */
  retention?: Retention;
}

/** The newest this many of each are kept; older ones are forgotten, as a scrolled-away history. */
export interface Retention {
  messagesPerChannel: number;
  ephemeralsPerUser: number;
  /** Uploaded files, with their bytes. */
  files: number;
  /** Recorded Web API calls, response URLs and what was posted to them, trigger ids. */
  calls: number;
}

export interface RecordedCall {
  method: string;
  /** As sent, with JSON-encoded form fields (blocks, view, files…) decoded and the token taken out. */
  args: Record<string, unknown>;
  at: Date;
  token: string | undefined;
}

export type Fault = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { error: string };

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

/** A file as a message shows it, and as files.completeUploadExternal returns it. */
export interface FileSummary {
  id: string;
  name: string;
  title: string;
  size: number;
  user: string;
  created: number;
  permalink: string;
  url_private: string;
  url_private_download: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  user: string;
  bot_id?: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  edited?: { user: string; ts: string };
  reactions: Reaction[];
  files: FileSummary[];
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
}

export interface StoredView {
  id: string;
  /** Undefined for a modal opened with a trigger id the stand-in did not mint, so nobody's modal. */
  user: string | undefined;
  hash: string;
  /** The view as the bot last sent it (type, blocks, callback_id, private_metadata…). */
  view: Record<string, unknown>;
}

export interface StoredFile {
  id: string;
  name: string;
  title: string;
  /** Undefined until the bytes arrive at the upload URL. */
  bytes: Buffer | undefined;
  /** Undefined until files.completeUploadExternal shares it somewhere. */
  channel: string | undefined;
}

/** What changed, so the console can redraw or turn a played reaction into an event for the bot. */
export type StandInChange =
  | { kind: 'message_posted'; channel: string; ts: string }
  | { kind: 'message_updated'; channel: string; ts: string }
  | { kind: 'dm_opened'; channel: string; user: string }
  | { kind: 'ephemeral_posted' | 'ephemeral_updated' | 'ephemeral_deleted'; channel: string; user: string; ts: string }
  | { kind: 'reaction_added'; channel: string; ts: string; user: string; name: string }
  | { kind: 'home_published'; user: string; viewId: string }
  | { kind: 'modal_opened' | 'modal_updated'; user: string | undefined; viewId: string }
  | { kind: 'modal_closed'; user: string; viewId: string }
  | { kind: 'file_uploaded'; fileId: string }
  | { kind: 'reset' };
