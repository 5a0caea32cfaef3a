import { isDeepStrictEqual } from 'node:util';
/**
 * Block Kit limits (reference/slack.md §4.3 and Slack's Block Kit reference). Slack rejects a whole
 * message or view when any one of these is exceeded, so the builders size their lists against them
 * and the tests check every builder's output with `assertWithinSlackLimits`.
 */
export const SLACK_LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  /** `views.publish` answers `view_too_large` beyond this (UTF-8 JSON). */
  viewBytes: 250_000,
  /** `chat.postMessage` truncates `text` beyond this. */
  messageText: 40_000,
  privateMetadata: 3000,
  id: 255,
  modalTitle: 24,
  text: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  /** static_select: at most 100 options, each option's text and value. */
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  /** plain_text_input `min_length`/`max_length` accept 0–3000 and 1–3000. */
  inputLength: 3000,
} as const;

export type Surface = 'message' | 'home' | 'modal';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class Checker {
  readonly problems: string[] = [];

  fail(path: string, problem: string): void {
    this.problems.push(`${path}: ${problem}`);
  }

  max(path: string, what: string, actual: number, limit: number): void {
    if (actual > limit) this.fail(path, `${what} is ${actual}, over the limit of ${limit}`);
  }

  string(path: string, value: unknown, what: string, limit: number, required = false): void {
    if (value === undefined && !required) return;
    if (typeof value !== 'string') return this.fail(path, `${what} must be a string`);
    if (value.length === 0) return this.fail(path, `${what} must not be empty`);
    this.max(path, `${what} length`, value.length, limit);
  }

  text(path: string, value: unknown, limit: number, options: { plainOnly?: boolean; required?: boolean } = {}): void {
    if (value === undefined && !options.required) return;
    if (!isObject(value)) return this.fail(path, 'a text object is required');
    const types = options.plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
    if (!types.includes(String(value.type))) this.fail(path, `text type must be ${types.join(' or ')}`);
    this.string(path, value.text, 'text', limit, true);
  }

  confirm(path: string, value: unknown): void {
    if (value === undefined) return;
    if (!isObject(value)) return this.fail(path, 'confirm must be an object');
    this.text(`${path}.title`, value.title, SLACK_LIMITS.confirmTitle, { plainOnly: true, required: true });
    this.text(`${path}.text`, value.text, SLACK_LIMITS.confirmText, { required: true });
    this.text(`${path}.confirm`, value.confirm, SLACK_LIMITS.confirmButton, { plainOnly: true, required: true });
    this.text(`${path}.deny`, value.deny, SLACK_LIMITS.confirmButton, { plainOnly: true, required: true });
  }

  element(path: string, value: unknown): void {
    if (!isObject(value)) return this.fail(path, 'element must be an object');
    this.string(path, value.action_id, 'action_id', SLACK_LIMITS.id);
    switch (value.type) {
      case 'button':
        this.text(`${path}.text`, value.text, SLACK_LIMITS.buttonText, { plainOnly: true, required: true });
        this.string(path, value.value, 'button value', SLACK_LIMITS.buttonValue);
        this.string(path, value.url, 'button url', SLACK_LIMITS.buttonUrl);
        if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger')
          this.fail(path, 'button style must be primary or danger');
        this.confirm(`${path}.confirm`, value.confirm);
        return;
      case 'plain_text_input':
        this.text(`${path}.placeholder`, value.placeholder, SLACK_LIMITS.placeholder, { plainOnly: true });
        for (const key of ['min_length', 'max_length'] as const) {
          const length = value[key];
          if (length === undefined) continue;
          const least = key === 'max_length' ? 1 : 0;
          if (
            typeof length !== 'number' ||
            !Number.isInteger(length) ||
            length < least ||
            length > SLACK_LIMITS.inputLength
          ) {
            this.fail(path, `${key} must be an integer from ${least} to ${SLACK_LIMITS.inputLength}`);
          }
        }
        return;
      case 'static_select': {
        this.text(`${path}.placeholder`, value.placeholder, SLACK_LIMITS.placeholder, { plainOnly: true });
        const options = this.elements(`${path}.options`, value.options, SLACK_LIMITS.selectOptions, 'select options');
        options.forEach((option, i) => {
          const at = `${path}.options[${i}]`;
          if (!isObject(option)) return this.fail(at, 'option must be an object');
          this.text(`${at}.text`, option.text, SLACK_LIMITS.optionText, { plainOnly: true, required: true });
          this.string(at, option.value, 'option value', SLACK_LIMITS.optionValue, true);
        });
        // Slack refuses an initial option that is not exactly one of the options.
        if (value.initial_option !== undefined && !options.some((o) => isDeepStrictEqual(o, value.initial_option)))
          this.fail(`${path}.initial_option`, 'initial_option must be one of the options');
        return;
      }
      default:
        this.fail(path, `element type ${String(value.type)} is not one that these views use, so it is not checked`);
    }
  }

  elements(path: string, value: unknown, limit: number, what: string): unknown[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.fail(path, `${what} needs at least one element`);
      return [];
    }
    this.max(path, `${what} element count`, value.length, limit);
    return value;
  }

  block(path: string, block: Json): void {
    switch (block.type) {
      case 'section':
        if (block.text === undefined && block.fields === undefined) this.fail(path, 'a section needs text or fields');
        this.text(`${path}.text`, block.text, SLACK_LIMITS.text);
        if (block.fields !== undefined) {
          this.elements(`${path}.fields`, block.fields, SLACK_LIMITS.fields, 'section fields').forEach((field, i) =>
            this.text(`${path}.fields[${i}]`, field, SLACK_LIMITS.fieldText, { required: true }),
          );
        }
        if (block.accessory !== undefined) this.element(`${path}.accessory`, block.accessory);
        return;
      case 'header':
        this.text(`${path}.text`, block.text, SLACK_LIMITS.headerText, { plainOnly: true, required: true });
        return;
      case 'divider':
        return;
      case 'context':
        this.elements(`${path}.elements`, block.elements, SLACK_LIMITS.contextElements, 'context').forEach(
          (element, i) => this.text(`${path}.elements[${i}]`, element, SLACK_LIMITS.text, { required: true }),
        );
        return;
      case 'actions': {
        const elements = this.elements(`${path}.elements`, block.elements, SLACK_LIMITS.actionsElements, 'actions');
        elements.forEach((element, i) => this.element(`${path}.elements[${i}]`, element));
        // Slack requires action_ids to be unique within their block.
        const ids = elements
          .filter(isObject)
          .map((element) => element.action_id)
          .filter((id) => id !== undefined);
        if (new Set(ids).size !== ids.length) this.fail(path, 'duplicate action_id within one actions block');
        return;
      }
      case 'input':
        this.text(`${path}.label`, block.label, SLACK_LIMITS.inputLabel, { plainOnly: true, required: true });
        this.text(`${path}.hint`, block.hint, SLACK_LIMITS.inputHint, { plainOnly: true });
        this.element(`${path}.element`, block.element);
        return;
      default:
        this.fail(path, `block type ${String(block.type)} is not one that these views use, so it is not checked`);
    }
  }

  blocks(path: string, value: unknown, limit: number): Json[] {
    if (!Array.isArray(value)) {
      this.fail(path, 'blocks must be an array');
      return [];
    }
    this.max(path, 'block count', value.length, limit);
    const blockIds = new Set<unknown>();
    return value.filter((block, i): block is Json => {
      if (!isObject(block)) {
        this.fail(`${path}[${i}]`, 'a block must be an object');
        return false;
      }
      if (block.block_id !== undefined) {
        this.string(`${path}[${i}]`, block.block_id, 'block_id', SLACK_LIMITS.id);
        if (blockIds.has(block.block_id)) this.fail(`${path}[${i}]`, `duplicate block_id ${String(block.block_id)}`);
        blockIds.add(block.block_id);
      }
      this.block(`${path}[${i}]`, block);
      return true;
    });
  }
}

function checkView(check: Checker, surface: 'home' | 'modal', view: Json): void {
  if (view.type !== surface) check.fail(surface, `type must be "${surface}"`);
  const blocks = check.blocks(`${surface}.blocks`, view.blocks, SLACK_LIMITS.viewBlocks);
  check.string(surface, view.private_metadata, 'private_metadata', SLACK_LIMITS.privateMetadata);
  check.string(surface, view.callback_id, 'callback_id', SLACK_LIMITS.id, surface === 'modal');
  check.max(surface, 'JSON size in bytes', Buffer.byteLength(JSON.stringify(view), 'utf8'), SLACK_LIMITS.viewBytes);
  if (surface === 'modal') {
    check.text(`${surface}.title`, view.title, SLACK_LIMITS.modalTitle, { plainOnly: true, required: true });
    check.text(`${surface}.submit`, view.submit, SLACK_LIMITS.modalTitle, { plainOnly: true });
    check.text(`${surface}.close`, view.close, SLACK_LIMITS.modalTitle, { plainOnly: true });
    if (view.submit === undefined && blocks.some((block) => block.type === 'input'))
      check.fail(surface, 'a modal with input blocks needs a submit button');
  }
}

/** Throws an Error listing every limit the payload breaks, with the path to each offending field. */
export function assertWithinSlackLimits(surface: Surface, payload: unknown): void {
  const check = new Checker();
  if (!isObject(payload)) check.fail(surface, 'payload must be an object');
  else if (surface === 'message') {
    check.string('message', payload.text, 'fallback text', SLACK_LIMITS.messageText, true);
    check.blocks('message.blocks', payload.blocks, SLACK_LIMITS.messageBlocks);
  } else checkView(check, surface, payload);
  if (check.problems.length) throw new Error(`Over Slack's limits for a ${surface}:\n- ${check.problems.join('\n- ')}`);
}
