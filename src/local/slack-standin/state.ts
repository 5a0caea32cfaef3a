import { randomBytes } from 'node:crypto';
import type { EphemeralMessage, Retention, StandInChange, StoredFile, StoredMessage, StoredView } from './types';

export type ChangeListener = (change: StandInChange) => void;

/** Drops the oldest entries of `list` beyond `keep`. */
export function trimOldest<T>(list: T[], keep: number | undefined): void {
  if (keep !== undefined && list.length > keep) list.splice(0, list.length - keep);
}

/** Drops the oldest (first inserted) keys of `map` beyond `keep`. */
export function trimOldestKeys<K, V>(map: Map<K, V>, keep: number | undefined, onDrop?: (key: K) => void): void {
  if (keep === undefined) return;
  for (const key of map.keys()) {
    if (map.size <= keep) return;
    map.delete(key);
    onDrop?.(key);
  }
}

/**
 * Everything the bot has done to the workspace: messages, views, files. Methods mutate it through
 * here so that every change reaches the listeners; readers get copies so nobody edits it behind
 * the listeners' backs.
 */
export class StandInState {
  private readonly messagesByChannel = new Map<string, StoredMessage[]>();
  private readonly ephemeralsByUser = new Map<string, EphemeralMessage[]>();
  private readonly views = new Map<string, StoredView>();
  private readonly homeViewIds = new Map<string, string>();
  private readonly modalViewIds = new Map<string, string>();
  private readonly files = new Map<string, StoredFile>();
  private readonly openDms = new Set<string>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly triggers = new Map<string, { user: string; mintedAt: number }>();
  private lastTsMicros = 0;
  private lastId = 0;

  constructor(private readonly retention?: Retention) {}

  /** Listeners run synchronously inside the API call; one that throws fails that call with HTTP 500. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: StandInChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }

  /** Slack ts values: seconds.microseconds, near the wall clock and strictly increasing, so unique. */
  nextTs(): string {
    this.lastTsMicros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    return `${Math.floor(this.lastTsMicros / 1e6)}.${String(this.lastTsMicros % 1e6).padStart(6, '0')}`;
  }

  nextId(prefix: 'F' | 'V'): string {
    this.lastId += 1;
    return `${prefix}${this.lastId.toString(36).toUpperCase().padStart(9, '0')}`;
  }

  addMessage(message: StoredMessage): void {
    const list = this.messagesByChannel.get(message.channel) ?? [];
    list.push(message);
    this.messagesByChannel.set(message.channel, list);
    trimOldest(list, this.retention?.messagesPerChannel);
    this.emit({ kind: 'message_posted', channel: message.channel, ts: message.ts });
  }

  /** The live message, for methods that change it; they emit their own change. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messagesByChannel.get(channel)?.find((message) => message.ts === ts);
  }

  messages(channel: string): StoredMessage[] {
    return structuredClone(this.messagesByChannel.get(channel) ?? []);
  }

  addEphemeral(message: EphemeralMessage): void {
    const list = this.ephemeralsByUser.get(message.user) ?? [];
    list.push(message);
    this.ephemeralsByUser.set(message.user, list);
    trimOldest(list, this.retention?.ephemeralsPerUser);
    this.emit({ kind: 'ephemeral_posted', channel: message.channel, user: message.user, ts: message.ts });
  }

  ephemerals(user: string): EphemeralMessage[] {
    return structuredClone(this.ephemeralsByUser.get(user) ?? []);
  }

  /** What replace_original does to an ephemeral message: same place, new content. False when it is gone. */
  replaceEphemeral(user: string, ts: string, content: Pick<EphemeralMessage, 'text' | 'blocks'>): boolean {
    const message = this.ephemeralsByUser.get(user)?.find((candidate) => candidate.ts === ts);
    if (!message) return false;
    message.text = content.text;
    if (content.blocks) message.blocks = content.blocks;
    else delete message.blocks;
    this.emit({ kind: 'ephemeral_updated', channel: message.channel, user, ts });
    return true;
  }

  deleteEphemeral(user: string, ts: string): boolean {
    const list = this.ephemeralsByUser.get(user) ?? [];
    const index = list.findIndex((candidate) => candidate.ts === ts);
    if (index < 0) return false;
    const [message] = list.splice(index, 1);
    this.emit({ kind: 'ephemeral_deleted', channel: message.channel, user, ts });
    return true;
  }

  /** Every channel that holds a message, in first-message order. */
  channelIds(): string[] {
    return [...this.messagesByChannel.keys()];
  }

  /** The live view, for views.update and hash checks. */
  view(id: string): StoredView | undefined {
    return this.views.get(id);
  }

  homeViewId(user: string): string | undefined {
    return this.homeViewIds.get(user);
  }

  saveView(stored: StoredView, surface: 'home' | 'modal'): void {
    const isNew = !this.views.has(stored.id);
    this.views.set(stored.id, stored);
    if (surface === 'home' && stored.user !== undefined) {
      const replaced = this.homeViewIds.get(stored.user);
      // A Home view is replaced, never reopened: with bounded history the old one is forgotten.
      if (this.retention && replaced !== undefined && replaced !== stored.id) this.views.delete(replaced);
      this.homeViewIds.set(stored.user, stored.id);
      this.emit({ kind: 'home_published', user: stored.user, viewId: stored.id });
      return;
    }
    if (isNew && stored.user !== undefined) this.modalViewIds.set(stored.user, stored.id);
    this.emit({ kind: isNew ? 'modal_opened' : 'modal_updated', user: stored.user, viewId: stored.id });
  }

  homeView(user: string): StoredView | undefined {
    const id = this.homeViewIds.get(user);
    return id === undefined ? undefined : structuredClone(this.views.get(id));
  }

  openModal(user: string): StoredView | undefined {
    const id = this.modalViewIds.get(user);
    return id === undefined ? undefined : structuredClone(this.views.get(id));
  }

  /** The person closed their modal (Cancel, ×, or a submission the app accepted). */
  closeModal(user: string): void {
    const id = this.modalViewIds.get(user);
    if (id === undefined) return;
    this.modalViewIds.delete(user);
    if (this.retention) this.views.delete(id);
    this.emit({ kind: 'modal_closed', user, viewId: id });
  }

  /** False when the DM was already open (conversations.open then warns `already_open`). */
  openDm(channel: string, user: string): boolean {
    if (this.openDms.has(channel)) return false;
    this.openDms.add(channel);
    this.emit({ kind: 'dm_opened', channel, user });
    return true;
  }

  /** A trigger id as Slack puts in an interaction payload: `<digits>.<digits>.<hex>`, tied to the user who acted. */
  mintTrigger(user: string): string {
    this.lastId += 1;
    const id = `${Math.floor(Date.now() / 1000)}.${this.lastId}.${randomBytes(12).toString('hex')}`;
    this.triggers.set(id, { user, mintedAt: Date.now() });
    trimOldestKeys(this.triggers, this.retention?.calls);
    return id;
  }

  trigger(id: string): { user: string; mintedAt: number } | undefined {
    return this.triggers.get(id);
  }

  /** A file announced by files.getUploadURLExternal, before its bytes arrive. */
  addFile(file: StoredFile): void {
    this.files.set(file.id, file);
    trimOldestKeys(this.files, this.retention?.files);
  }

  /** The live file, for methods that change it. */
  liveFile(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  /** False when no upload URL was handed out for `id`. */
  receiveBytes(id: string, bytes: Buffer): boolean {
    const file = this.files.get(id);
    if (!file) return false;
    file.bytes = bytes;
    this.emit({ kind: 'file_uploaded', fileId: id });
    return true;
  }

  file(id: string): StoredFile | undefined {
    const file = this.files.get(id);
    return file && { ...file, bytes: file.bytes && Buffer.from(file.bytes) };
  }

  clear(): void {
    this.messagesByChannel.clear();
    this.ephemeralsByUser.clear();
    this.views.clear();
    this.homeViewIds.clear();
    this.modalViewIds.clear();
    this.files.clear();
    this.openDms.clear();
    this.triggers.clear();
    this.emit({ kind: 'reset' });
  }
}
