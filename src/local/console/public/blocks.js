'use strict';
/*
 * Block Kit and mrkdwn as Slack's client shows them, for the local console. Text is escaped before
 * any markup is added. A block or element this renderer does not know is shown as its JSON, never
 * dropped, so what the bot sent is always visible.
 */
(function () {
  const EMOJI = {
    '+1': '👍',
    thumbsup: '👍',
    '-1': '👎',
    thumbsdown: '👎',
    white_check_mark: '✅',
    heavy_check_mark: '✔️',
    x: '❌',
    no_entry: '⛔',
    no_entry_sign: '🚫',
    hourglass: '⌛',
    hourglass_flowing_sand: '⏳',
    lock: '🔒',
    unlock: '🔓',
    closed_lock_with_key: '🔐',
    key: '🔑',
    warning: '⚠️',
    rotating_light: '🚨',
    tada: '🎉',
    eyes: '👀',
    rocket: '🚀',
    information_source: 'ℹ️',
    bulb: '💡',
    computer: '💻',
    iphone: '📱',
    link: '🔗',
    inbox_tray: '📥',
    page_facing_up: '📄',
    shield: '🛡️',
    bust_in_silhouette: '👤',
    electric_plug: '🔌',
    pause_button: '⏸️',
    arrows_counterclockwise: '🔄',
    wave: '👋',
    raised_hands: '🙌',
    heart: '❤️',
    slightly_smiling_face: '🙂',
    thinking_face: '🤔',
    red_circle: '🔴',
    large_green_circle: '🟢',
    large_yellow_circle: '🟡',
    memo: '📝',
    calendar: '📆',
    clock1: '🕐',
    gear: '⚙️',
  };

  const escapeHtml = (text) =>
    String(text)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;');
  const unescapeSlack = (text) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const emoji = (name) => EMOJI[name.split('::')[0]] || null;

  /** `<!date^seconds^format|fallback>` in the reader's time zone, as Slack's client shows it. */
  function slackDate(target, fallback) {
    const [, seconds, format] = target.split('^');
    const date = new Date(Number(seconds) * 1000);
    if (!format || Number.isNaN(date.getTime())) return unescapeSlack(fallback || target);
    const day = (options) => date.toLocaleDateString([], options);
    const tokens = {
      date_num: () => date.toISOString().slice(0, 10),
      date: () => day({ month: 'long', day: 'numeric', year: 'numeric' }),
      date_short: () => day({ month: 'short', day: 'numeric', year: 'numeric' }),
      date_long: () => day({ weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }),
      date_pretty: () => day({ month: 'long', day: 'numeric', year: 'numeric' }),
      date_short_pretty: () => day({ month: 'short', day: 'numeric', year: 'numeric' }),
      date_long_pretty: () => day({ weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }),
      time: () => date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      time_secs: () => date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
    };
    return format.replace(/\{(\w+)\}/g, (whole, name) => (tokens[name] ? tokens[name]() : whole));
  }

  /** A Slack `<…>` token: mentions, channels, links, dates and special mentions. */
  function token(inner, users) {
    const [target, label] = inner.split('|');
    if (target.startsWith('@')) {
      const user = users.find((u) => u.id === target.slice(1));
      return `<span class="mention">@${escapeHtml(user ? user.realName : label || target.slice(1))}</span>`;
    }
    if (target.startsWith('#')) return `<span class="mention">#${escapeHtml(label || target.slice(1))}</span>`;
    if (target.startsWith('!date^')) return escapeHtml(slackDate(target, label));
    if (target.startsWith('!')) return `<span class="mention">@${escapeHtml(target.slice(1).split('^')[0])}</span>`;
    if (/^(https?:|mailto:)/.test(target))
      return `<a href="${escapeHtml(unescapeSlack(target))}" target="_blank" rel="noopener noreferrer">${escapeHtml(unescapeSlack(label || target))}</a>`;
    return escapeHtml(`<${unescapeSlack(inner)}>`);
  }

  /** Inline formatting on already-escaped text: *bold*, _italic_, ~strike~ and :emoji:. */
  function inline(html) {
    return html
      .replace(/(^|[\s(>])\*(?!\s)([^*\n]+?)\*(?=$|[\s.,;:!?)<])/g, '$1<b>$2</b>')
      .replace(/(^|[\s(>])_(?!\s)([^_\n]+?)_(?=$|[\s.,;:!?)<])/g, '$1<i>$2</i>')
      .replace(/(^|[\s(>])~(?!\s)([^~\n]+?)~(?=$|[\s.,;:!?)<])/g, '$1<s>$2</s>')
      .replace(/:([a-z0-9_+'-]+(?:::skin-tone-\d)?):/g, (whole, name) => emoji(name) || whole);
  }

  /** Slack mrkdwn to safe HTML. */
  function mrkdwn(text, users) {
    const saved = [];
    const keep = (html) => `\uE000${saved.push(html) - 1}\uE000`;
    let source = String(text);
    source = source.replace(/```([\s\S]*?)```/g, (whole, code) =>
      keep(`<pre>${escapeHtml(unescapeSlack(code.replace(/^\n/, '')))}</pre>`),
    );
    source = source.replace(/`([^`\n]+)`/g, (whole, code) => keep(`<code>${escapeHtml(unescapeSlack(code))}</code>`));
    source = source.replace(/<([^<>\n]+)>/g, (whole, inner) => keep(token(inner, users)));
    let html = inline(escapeHtml(unescapeSlack(source)));
    html = html
      .split('\n')
      .map((line) => (line.startsWith('&gt; ') ? `<span class="quote">${line.slice(5)}</span>` : line))
      .join('<br>');
    return html.replace(/\uE000(\d+)\uE000/g, (whole, index) => saved[Number(index)]);
  }

  function textHtml(text, users) {
    if (!text || typeof text !== 'object') return '';
    if (text.type === 'mrkdwn') return mrkdwn(text.text || '', users);
    const plain = escapeHtml(text.text || '');
    return text.emoji === false ? plain : plain.replace(/:([a-z0-9_+'-]+):/g, (whole, name) => emoji(name) || whole);
  }

  function el(tag, className, html) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (html !== undefined) node.innerHTML = html;
    return node;
  }

  /** What cannot be rendered: shown as JSON with a note, never dropped. */
  function unsupported(kind, value) {
    const box = el('details', 'unsupported');
    box.open = true;
    box.dataset.testid = 'unsupported';
    box.appendChild(el('summary', '', `This console cannot draw ${escapeHtml(kind)}; here is what the app sent:`));
    box.appendChild(el('pre', '', escapeHtml(JSON.stringify(value, null, 2))));
    return box;
  }

  /**
   * A select in a block without an id, as it stands: the console keys the state it sends by block id, so this
   * one cannot be changed here, and the app reads its initial option (an access request's Approve uses the asked duration).
   */
  function staticSelect(element) {
    const node = el('select', 'bk-select');
    node.disabled = true;
    node.title = 'This console cannot change a select; the app uses what is shown.';
    node.dataset.actionId = element.action_id || '';
    const initial = element.initial_option && element.initial_option.value;
    for (const option of element.options || []) {
      const item = el('option', '', escapeHtml((option.text && option.text.text) || ''));
      item.value = option.value || '';
      item.selected = option.value === initial;
      node.appendChild(item);
    }
    return node;
  }

  function button(element, ctx, ref) {
    const node = el(
      'button',
      `bk-button${element.style ? ` ${element.style}` : ''}`,
      textHtml(element.text, ctx.users),
    );
    node.type = 'button';
    node.dataset.actionId = element.action_id || '';
    if (element.url) {
      node.addEventListener('click', () => window.open(element.url, '_blank', 'noopener'));
    } else {
      node.addEventListener('click', () => ctx.onButton(ref, element, node));
    }
    return node;
  }

  /** A static_select: the choice is kept by the page and sent with the next button click in the same view, as Slack's state. */
  function select(element, ctx, blockId) {
    const node = el('select', 'bk-select');
    node.dataset.actionId = element.action_id || '';
    for (const option of element.options || []) {
      const item = el('option', '', escapeHtml((option.text && option.text.text) || ''));
      item.value = option.value || '';
      node.appendChild(item);
    }
    const chosen = ctx.chosen && ctx.chosen(blockId, element.action_id);
    node.value = chosen || (element.initial_option && element.initial_option.value) || '';
    node.addEventListener('change', () => ctx.onSelect && ctx.onSelect(blockId, element.action_id, node.value));
    return node;
  }

  function image(element, className) {
    const node = el('img', className);
    node.src = element.image_url || '';
    node.alt = element.alt_text || '';
    node.loading = 'lazy';
    return node;
  }

  function accessory(element, ctx, blockIndex) {
    if (element.type === 'button') return button(element, ctx, { block: blockIndex, element: 'accessory' });
    if (element.type === 'image') return image(element, 'bk-accessory-image');
    return unsupported(`a "${element.type}" accessory`, element);
  }

  function input(block, ctx, index) {
    const wrap = el('div', 'bk-input');
    const blockId = block.block_id || `b${index}`;
    const element = block.element || {};
    const label = el(
      'label',
      'bk-label',
      `${textHtml(block.label, ctx.users)}${block.optional ? ' <span class="optional">(optional)</span>' : ''}`,
    );
    wrap.appendChild(label);
    if (element.type !== 'plain_text_input') {
      wrap.appendChild(unsupported(`a "${element.type}" input`, element));
      return wrap;
    }
    const field = element.multiline ? el('textarea', 'bk-field') : el('input', 'bk-field');
    field.name = `${blockId}/${element.action_id || `a${index}`}`;
    field.dataset.blockId = blockId;
    field.dataset.actionId = element.action_id || `a${index}`;
    if (element.placeholder) field.placeholder = element.placeholder.text || '';
    if (element.max_length) field.maxLength = element.max_length;
    if (element.initial_value) field.value = element.initial_value;
    if (element.multiline) field.rows = 6;
    wrap.appendChild(field);
    if (block.hint) wrap.appendChild(el('div', 'bk-hint', textHtml(block.hint, ctx.users)));
    const error = el('div', 'bk-error');
    error.dataset.errorFor = blockId;
    wrap.appendChild(error);
    return wrap;
  }

  function block(b, ctx, index) {
    switch (b.type) {
      case 'header':
        return el('div', 'bk-header', textHtml(b.text, ctx.users));
      case 'divider':
        return el('hr', 'bk-divider');
      case 'section': {
        const node = el('div', 'bk-section');
        const body = el('div', 'bk-section-body');
        if (b.text) body.appendChild(el('div', 'bk-text', textHtml(b.text, ctx.users)));
        if (Array.isArray(b.fields)) {
          const fields = el('div', 'bk-fields');
          for (const field of b.fields) fields.appendChild(el('div', 'bk-field-text', textHtml(field, ctx.users)));
          body.appendChild(fields);
        }
        node.appendChild(body);
        if (b.accessory) node.appendChild(accessory(b.accessory, ctx, index));
        return node;
      }
      case 'context': {
        const node = el('div', 'bk-context');
        for (const element of b.elements || []) {
          if (element.type === 'image') node.appendChild(image(element, 'bk-context-image'));
          else if (element.type === 'mrkdwn' || element.type === 'plain_text')
            node.appendChild(el('span', '', textHtml(element, ctx.users)));
          else node.appendChild(unsupported(`a "${element.type}" context element`, element));
        }
        return node;
      }
      case 'actions': {
        const node = el('div', 'bk-actions');
        (b.elements || []).forEach((element, elementIndex) => {
          node.appendChild(
            element.type === 'button'
              ? button(element, ctx, { block: index, element: elementIndex })
              : element.type === 'static_select' && b.block_id
                ? select(element, ctx, b.block_id)
                : element.type === 'static_select'
                  ? staticSelect(element)
                  : unsupported(`a "${element.type}" element`, element),
          );
        });
        return node;
      }
      case 'image': {
        const node = el('figure', 'bk-image');
        if (b.title) node.appendChild(el('figcaption', '', textHtml(b.title, ctx.users)));
        node.appendChild(image(b, ''));
        return node;
      }
      case 'input':
        return input(b, ctx, index);
      default:
        return unsupported(`a "${b.type}" block`, b);
    }
  }

  /** Blocks to a fragment; `ctx.onButton({ block, element }, element, node)` is called for clicks. */
  function renderBlocks(blocks, ctx) {
    const fragment = document.createDocumentFragment();
    (blocks || []).forEach((b, index) => {
      const node = b && typeof b === 'object' ? block(b, ctx, index) : unsupported('a block that is not an object', b);
      node.dataset.blockIndex = String(index);
      fragment.appendChild(node);
    });
    return fragment;
  }

  window.BlockKit = { renderBlocks, mrkdwn, textHtml, emoji, escapeHtml, EMOJI };
})();
