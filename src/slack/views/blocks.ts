import { SLACK_LIMITS } from './limits';
import { clip, clipMrkdwn } from './markup';
import type { Block, MessageView } from './types';

/** One certificate or endpoint entry; long enough for every fact, short enough that lists stay readable. */
export const ENTRY_MAX = 900;
/** Leaves room under the 50-block message limit for a heading, a "more" line and buttons. */
export const MESSAGE_LIST_BLOCKS = 40;

/** Slack cuts a message's fallback text beyond its limit; we cut it first, where we choose. */
export const message = (text: string, blocks: Block[]): MessageView => ({
  text: clip(text, SLACK_LIMITS.messageText),
  blocks,
});

export const plain = (text: string, max: number) => ({
  type: 'plain_text' as const,
  text: clip(text, max),
  emoji: true,
});

export const section = (text: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clipMrkdwn(text, SLACK_LIMITS.text) },
});

export const context = (text: string): Block => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clipMrkdwn(text, SLACK_LIMITS.text) }],
});

export const header = (text: string): Block => ({ type: 'header', text: plain(text, SLACK_LIMITS.headerText) });

export interface ButtonOptions {
  value?: string;
  style?: 'primary' | 'danger';
  /** A Block Kit confirmation dialog, for buttons whose effect cannot be undone or disrupts others. */
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function button(text: string, actionId: string, options: ButtonOptions = {}): Record<string, unknown> {
  return {
    type: 'button',
    action_id: actionId,
    text: plain(text, SLACK_LIMITS.buttonText),
    ...(options.value !== undefined && { value: options.value }),
    ...(options.style && { style: options.style }),
    ...(options.confirm && {
      confirm: {
        title: plain(options.confirm.title, SLACK_LIMITS.confirmTitle),
        text: plain(options.confirm.text, SLACK_LIMITS.confirmText),
        confirm: plain(options.confirm.confirm, SLACK_LIMITS.confirmButton),
        deny: plain(options.confirm.deny, SLACK_LIMITS.confirmButton),
        ...(options.style === 'danger' && { style: 'danger' }),
      },
    }),
  };
}

export const actions = (...elements: Record<string, unknown>[]): Block => ({ type: 'actions', elements });

/**
 * One section: a heading, then as many lines as `maxLines` and the text limit allow, then "…and N more".
 * For the App Home, where every block counts.
 */
export function listSection(
  heading: string,
  lines: string[],
  options: { maxLines: number; empty: string; more: (hidden: number) => string },
): Block {
  if (lines.length === 0) return section(`${heading}\n${options.empty}`);
  let text = heading;
  let shown = 0;
  for (const line of lines.slice(0, options.maxLines)) {
    const next = `${text}\n${clipMrkdwn(line, ENTRY_MAX)}`;
    const hidden = lines.length - shown - 1;
    const reserve = hidden > 0 ? options.more(hidden).length + 1 : 0;
    if (next.length + reserve > SLACK_LIMITS.text) break;
    text = next;
    shown++;
  }
  const hidden = lines.length - shown;
  return section(hidden > 0 ? `${text}\n${options.more(hidden)}` : text);
}

/**
 * Entries packed into as few sections as the text limit allows, at most `maxBlocks` of them; entries
 * that do not fit are counted in a closing context line rather than silently dropped.
 */
export function packedSections(
  entries: string[],
  options: { maxBlocks: number; separator?: string; more: (hidden: number) => string },
): Block[] {
  const separator = options.separator ?? '\n';
  const texts: string[] = [];
  let shown = 0;
  for (const raw of entries) {
    const entry = clipMrkdwn(raw, ENTRY_MAX);
    const last = texts.length - 1;
    if (last >= 0 && texts[last].length + separator.length + entry.length <= SLACK_LIMITS.text)
      texts[last] += separator + entry;
    else if (texts.length < options.maxBlocks) texts.push(entry);
    else break;
    shown++;
  }
  const blocks = texts.map(section);
  if (shown < entries.length) blocks.push(context(options.more(entries.length - shown)));
  return blocks;
}
