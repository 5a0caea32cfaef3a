import type { SlackStandIn, StoredMessage, StoredView } from '../slack-standin/server';
import { BOT_USER_ID, GENERAL_CHANNEL, dmChannelId } from '../slack-standin/workspace';
import {
  ActionContainer,
  BotAnswer,
  SlackRequest,
  blockActionRequest,
  eventCallbackRequest,
  sendToApp,
  slashCommandRequest,
  viewSubmissionRequest,
} from '../slack-requests';

/** A request from the page that Slack's own client would never send: answered 400 with the message. */
export class ConsoleInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleInputError';
  }
}

export interface ConsoleApiOptions {
  slack: SlackStandIn;
  /** The app's Request URL (its /slack/events). */
  appUrl: string;
  signingSecret: string;
  /** Who sees the admin channel. */
  admins: readonly string[];
  adminChannel?: string;
}

/** Where a clicked element sits: a message (by channel and ts) or a view (the Home tab or a modal). */
export type ClickTarget =
  { kind: 'message'; channel: string; ts: string; ephemeral: boolean } | { kind: 'view'; viewId: string };

type Block = Record<string, unknown> & { type?: string; block_id?: string; elements?: unknown[]; accessory?: unknown };

const MAX_COMMAND_TEXT = 4_000;
const REACTION_NAME = /^[a-z0-9_+'-]{1,64}$/;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The console's side of Slack: it turns what a person does on the page into the requests Slack would
 * send the app (correctly signed, to its Request URL) and into the stand-in's state (reactions,
 * answers shown as ephemeral messages). The app itself is never called any other way.
 */
export class ConsoleApi {
  private events = 0;

  constructor(private readonly options: ConsoleApiOptions) {}

  private get slack(): SlackStandIn {
    return this.options.slack;
  }

  person(user: unknown): string {
    if (typeof user !== 'string' || !this.slack.workspace.users.has(user) || user === BOT_USER_ID) {
      throw new ConsoleInputError(
        `Unknown person "${String(user).slice(0, 40)}": pick one of the workspace's members.`,
      );
    }
    return user;
  }

  /** Channels `user` can see: #general, the admin channel for admins, any other channel with messages. */
  channels(user: string): { id: string; name: string }[] {
    const { adminChannel, admins } = this.options;
    const channels = [{ id: GENERAL_CHANNEL, name: 'general' }];
    if (adminChannel && admins.includes(user))
      channels.push({
        id: adminChannel,
        name: adminChannel === 'C0VPNADMINS' ? 'vpn-admins' : adminChannel.toLowerCase(),
      });
    for (const id of this.slack.channelIds()) {
      if (/^[CG]/.test(id) && !channels.some((channel) => channel.id === id) && id !== adminChannel)
        channels.push({ id, name: id.toLowerCase() });
    }
    return channels;
  }

  /** Everything the page shows `user`. */
  state(userInput: unknown): Record<string, unknown> {
    const user = this.person(userInput);
    const channels = this.channels(user);
    const dm = dmChannelId(user);
    const messages: Record<string, unknown[]> = {};
    for (const channel of [...channels.map((c) => c.id), dm]) messages[channel] = this.timeline(user, channel);
    const users = [...this.slack.workspace.users.values()].map((u) => ({
      id: u.id,
      name: u.name,
      realName: u.real_name,
      bot: u.is_bot === true,
      deactivated: u.deleted === true,
      admin: this.options.admins.includes(u.id),
    }));
    return {
      me: user,
      users,
      channels,
      app: { id: BOT_USER_ID, name: 'vpn-chatops', dm },
      messages,
      home: this.slack.homeView(user)?.view ?? null,
      modal: this.modalJson(this.slack.openModal(user)),
    };
  }

  private modalJson(stored: StoredView | undefined): Record<string, unknown> | null {
    return stored ? { ...stored.view, id: stored.id } : null;
  }

  /** A channel as `user` sees it: its messages and `user`'s own ephemeral ones, in ts order. */
  private timeline(user: string, channel: string): unknown[] {
    const shared = this.slack.messages(channel).map((message) => this.messageJson(message));
    const mine = this.slack
      .ephemerals(user)
      .filter((message) => message.channel === channel)
      .map((message) => ({
        ts: message.ts,
        user: BOT_USER_ID,
        bot: true,
        ephemeral: true,
        text: message.text,
        blocks: message.blocks ?? null,
        files: [],
        reactions: [],
      }));
    return [...shared, ...mine].sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  private messageJson(message: StoredMessage): Record<string, unknown> & { ts: string } {
    return {
      ts: message.ts,
      user: message.user,
      bot: message.bot_id !== undefined,
      ephemeral: false,
      text: message.text,
      blocks: message.blocks ?? null,
      edited: message.edited !== undefined,
      // Served by the console itself, so the download is a same-origin link.
      files: message.files.map((file) => ({
        id: file.id,
        name: file.name,
        title: file.title,
        size: file.size,
        url: `/files/${file.id}`,
      })),
      reactions: message.reactions,
    };
  }

  /**
   * `/vpn <text>` typed by `user` in `channel`: the app's answer is shown to them, then whatever it posts to
   * response_url.
   */
  async command(userInput: unknown, channelInput: unknown, textInput: unknown): Promise<void> {
    const user = this.person(userInput);
    const channel = this.channel(user, channelInput);
    if (typeof textInput !== 'string') throw new ConsoleInputError('Type a command, e.g. /vpn help.');
    const match = /^\s*\/vpn(?:\s+([\s\S]*))?$/.exec(textInput);
    if (!match) throw new ConsoleInputError('This workspace has one slash command: /vpn (try /vpn help).');
    const text = this.escapeMentions((match[1] ?? '').trim());
    if (text.length > MAX_COMMAND_TEXT)
      throw new ConsoleInputError(
        `That command is ${text.length} characters long; Slack stops at ${MAX_COMMAND_TEXT}.`,
      );
    // Reserved before sending, so the answer sorts before anything the app posts afterwards.
    const ts = this.slack.nextTs();
    const responseUrl = this.slack.mintResponseUrl(user, { channel, originalTs: ts });
    const request = slashCommandRequest({
      userId: user,
      text,
      responseUrl,
      triggerId: this.slack.mintTriggerId(user),
      channelId: channel,
      channelName: this.channelName(user, channel),
    });
    const answer = await this.send(request, '/vpn');
    if (answer.body) this.slack.postAppAnswer(user, channel, ts, answer.body);
  }

  /** A button click; the button is read from the stand-in's copy of the message or view, never taken from the page. */
  async click(
    userInput: unknown,
    target: unknown,
    blockInput: unknown,
    elementInput: unknown,
    selections?: unknown,
  ): Promise<void> {
    const user = this.person(userInput);
    const located = this.locate(user, target);
    if (located.container.type === 'view')
      located.container.view.state = { values: selectState(located.blocks, selections) };
    const block = located.blocks[Number(blockInput)] as Block | undefined;
    if (!Number.isInteger(blockInput) || !isRecord(block))
      throw new ConsoleInputError('That button is no longer there: the message or view changed.');
    const element =
      elementInput === 'accessory'
        ? block.accessory
        : Array.isArray(block.elements)
          ? block.elements[Number(elementInput)]
          : undefined;
    if (!isRecord(element) || element.type !== 'button' || typeof element.action_id !== 'string')
      throw new ConsoleInputError('Only buttons can be clicked in this console.');
    const triggerId = this.slack.mintTriggerId(user);
    const request = blockActionRequest({
      userId: user,
      actionId: element.action_id,
      value: typeof element.value === 'string' ? element.value : undefined,
      blockId: typeof block.block_id === 'string' ? block.block_id : `b${Number(blockInput)}`,
      container: located.container,
      responseUrl: located.responseUrl,
      triggerId,
    });
    await this.send(request, 'the button');
  }

  private locate(
    user: string,
    target: unknown,
  ): { blocks: unknown[]; container: ActionContainer; responseUrl?: string } {
    if (!isRecord(target)) throw new ConsoleInputError('Say where the button is.');
    if (target.kind === 'view') {
      const view = [this.slack.homeView(user), this.slack.openModal(user)].find(
        (candidate) => candidate !== undefined && candidate.id === target.viewId,
      );
      if (!view) throw new ConsoleInputError('That view is no longer open.');
      const json = { ...view.view, id: view.id, hash: view.hash, state: { values: {} } };
      return {
        blocks: Array.isArray(view.view.blocks) ? view.view.blocks : [],
        container: { type: 'view', view: json },
      };
    }
    const channel = this.channel(user, target.channel);
    const ts = typeof target.ts === 'string' ? target.ts : '';
    if (target.ephemeral === true) {
      const message = this.slack
        .ephemerals(user)
        .find((candidate) => candidate.channel === channel && candidate.ts === ts);
      if (!message) throw new ConsoleInputError('That message is gone.');
      return {
        blocks: message.blocks ?? [],
        container: { type: 'message', channelId: channel, messageTs: ts, isEphemeral: true },
        responseUrl: this.slack.mintResponseUrl(user, { channel, originalTs: ts }),
      };
    }
    const message = this.slack.messages(channel).find((candidate) => candidate.ts === ts);
    if (!message) throw new ConsoleInputError('That message is gone.');
    const json = {
      type: 'message',
      ts,
      user: message.user,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
    };
    return {
      blocks: message.blocks ?? [],
      container: { type: 'message', channelId: channel, messageTs: ts, isEphemeral: false, message: json },
      responseUrl: this.slack.mintResponseUrl(user, { channel }),
    };
  }

  /** A modal's Submit: the input values as view_submission state; returns field errors the app sent back. */
  async submit(
    userInput: unknown,
    viewId: unknown,
    valuesInput: unknown,
  ): Promise<{ errors?: Record<string, string> }> {
    const user = this.person(userInput);
    const modal = this.slack.openModal(user);
    if (!modal || modal.id !== viewId) throw new ConsoleInputError('That dialog is no longer open.');
    const given = isRecord(valuesInput) ? valuesInput : {};
    const values: Record<string, Record<string, { type: string; value: string | null }>> = {};
    const missing: Record<string, string> = {};
    (Array.isArray(modal.view.blocks) ? (modal.view.blocks as Block[]) : []).forEach((block, index) => {
      if (block.type !== 'input' || !isRecord(block.element)) return;
      const blockId = typeof block.block_id === 'string' ? block.block_id : `b${index}`;
      const actionId = typeof block.element.action_id === 'string' ? block.element.action_id : `a${index}`;
      const fromPage = isRecord(given[blockId]) ? given[blockId][actionId] : undefined;
      const value = typeof fromPage === 'string' && fromPage !== '' ? fromPage : null;
      if (value === null && block.optional !== true) missing[blockId] = 'Please fill out this field.';
      values[blockId] = { [actionId]: { type: String(block.element.type), value } };
    });
    // Slack's own client refuses to submit with a required field empty; the app never hears of it.
    if (Object.keys(missing).length > 0) return { errors: missing };
    const view = {
      ...modal.view,
      id: modal.id,
      hash: modal.hash,
      callback_id: String(modal.view.callback_id ?? ''),
      private_metadata: typeof modal.view.private_metadata === 'string' ? modal.view.private_metadata : '',
    };
    const answer = await this.send(
      viewSubmissionRequest({ userId: user, view, values, triggerId: this.slack.mintTriggerId(user) }),
      'the dialog',
    );
    const body = answer.body ?? {};
    if (body.response_action === 'errors' && isRecord(body.errors)) {
      return { errors: Object.fromEntries(Object.entries(body.errors).map(([key, value]) => [key, String(value)])) };
    }
    if ((body.response_action === 'update' || body.response_action === 'push') && isRecord(body.view))
      this.slack.showModal(user, body.view);
    else this.slack.closeModal(user);
    return {};
  }

  closeModal(userInput: unknown): void {
    this.slack.closeModal(this.person(userInput));
  }

  /** A reaction by `user`, then the reaction_added event Slack would send the app. */
  async react(userInput: unknown, channelInput: unknown, tsInput: unknown, nameInput: unknown): Promise<void> {
    const user = this.person(userInput);
    const channel = this.channel(user, channelInput);
    if (typeof nameInput !== 'string' || !REACTION_NAME.test(nameInput))
      throw new ConsoleInputError('Pick a reaction from the list.');
    const ts = typeof tsInput === 'string' ? tsInput : '';
    const message = this.slack.messages(channel).find((candidate) => candidate.ts === ts);
    if (!message) throw new ConsoleInputError('Only messages everyone in the conversation sees can get reactions.');
    const added = this.slack.addReaction(user, channel, ts, nameInput);
    if (!added.ok)
      throw new ConsoleInputError(
        added.error === 'already_reacted'
          ? 'You already reacted with that.'
          : `Slack refused the reaction (${added.error}).`,
      );
    const event = {
      type: 'reaction_added',
      user,
      reaction: nameInput,
      item_user: message.user,
      item: { type: 'message', channel, ts, channel_type: channel.startsWith('D') ? 'im' : 'channel' },
      event_ts: this.slack.nextTs(),
    };
    await this.send(eventCallbackRequest(event, this.eventId()), 'the reaction');
  }

  /** A workspace admin deactivates `user`, then the user_change event Slack would send the app. */
  async deactivate(userInput: unknown): Promise<void> {
    const user = this.person(userInput);
    if (this.slack.workspace.users.get(user)?.deleted)
      throw new ConsoleInputError('That account is already deactivated.');
    const event = this.slack.changeAccount(user, { deleted: true });
    await this.send(eventCallbackRequest(event, this.eventId()), 'the deactivation');
  }

  /** The app's Home or Messages tab opened by `user`. */
  async openApp(userInput: unknown, tab: unknown): Promise<void> {
    const user = this.person(userInput);
    const home = this.slack.homeView(user);
    const event = {
      type: 'app_home_opened',
      user,
      channel: dmChannelId(user),
      tab: tab === 'messages' ? 'messages' : 'home',
      event_ts: this.slack.nextTs(),
      ...(home && tab !== 'messages' ? { view: { ...home.view, id: home.id, hash: home.hash } } : {}),
    };
    await this.send(eventCallbackRequest(event, this.eventId()), 'the App Home');
  }

  private eventId(): string {
    this.events += 1;
    return `Ev0CONSOLE${Date.now().toString(36).toUpperCase()}${this.events}`;
  }

  private channel(user: string, channel: unknown): string {
    if (channel === dmChannelId(user)) return channel;
    const known = this.channels(user).find((candidate) => candidate.id === channel);
    if (!known) throw new ConsoleInputError(`You are not in channel "${String(channel).slice(0, 40)}".`);
    return known.id;
  }

  private channelName(user: string, channel: string): string {
    return channel.startsWith('D')
      ? 'directmessage'
      : (this.channels(user).find((candidate) => candidate.id === channel)?.name ?? channel);
  }

  /** What Slack does with should_escape: `@alice` becomes `<@U0ALICE|alice>`, `#general` a channel link. */
  private escapeMentions(text: string): string {
    const people = [...this.slack.workspace.users.values()];
    return text
      .replace(/(^|\s)@([A-Za-z0-9._-]+)/g, (whole, space: string, name: string) => {
        const person = people.find(
          (candidate) => candidate.name.toLowerCase() === name.toLowerCase() || candidate.id === name,
        );
        return person ? `${space}<@${person.id}|${person.name}>` : whole;
      })
      .replace(/(^|\s)#([a-z0-9_-]+)/g, (whole, space: string, name: string) =>
        name === 'general' ? `${space}<#${GENERAL_CHANNEL}|general>` : whole,
      );
  }

  /** Deliver like Slack: a failure becomes the message Slack would show ("dispatch_failed", "operation_timeout"). */
  private async send(request: SlackRequest, what: string): Promise<BotAnswer> {
    let answer: BotAnswer;
    try {
      answer = await sendToApp(this.options.appUrl, request, this.options.signingSecret);
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new AppUnavailableError(
        `${what} failed with the error "${timedOut ? 'operation_timeout' : 'dispatch_failed'}": the app ${timedOut ? 'did not answer within 3 seconds' : `could not be reached (${(error as Error).message})`}.`,
      );
    }
    if (answer.status !== 200)
      throw new AppUnavailableError(
        `${what} failed with the error "dispatch_failed": the app answered HTTP ${answer.status}.`,
      );
    return answer;
  }
}

/** The app did not answer as Slack expects; answered 502 with Slack's own wording. */
export class AppUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppUnavailableError';
  }
}

/**
 * What the page chose in a view's selects, as Slack's `state.values`: only options the view itself offers, in
 * selects it has, so the page cannot make the app see a value Slack would never send.
 */
function selectState(blocks: unknown[], selections: unknown): Record<string, Record<string, unknown>> {
  const values: Record<string, Record<string, unknown>> = {};
  if (!isRecord(selections)) return values;
  for (const block of blocks) {
    if (!isRecord(block) || typeof block.block_id !== 'string' || !Array.isArray(block.elements)) continue;
    const chosen = selections[block.block_id];
    if (!isRecord(chosen)) continue;
    for (const element of block.elements) {
      if (!isRecord(element) || element.type !== 'static_select' || typeof element.action_id !== 'string') continue;
      const options = Array.isArray(element.options) ? element.options : [];
      const option = options.find(
        (candidate) => isRecord(candidate) && candidate.value === chosen[element.action_id as string],
      );
      if (option)
        (values[block.block_id] ??= {})[element.action_id] = { type: 'static_select', selected_option: option };
    }
  }
  return values;
}
