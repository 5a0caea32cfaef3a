import { isSlackId } from '../../domain/cn';

// The rule for text from outside (connect events, log lines, CSR subjects, device labels, names,
// Slack profile fields, error messages): it reaches mrkdwn only through `userText` or `code`, and
// plain_text only through `plainText`. Slack has no escape for its formatting characters, so:
// - `&`, `<`, `>` become entities: no mention, channel ping, link or date token can be formed;
// - line breaks, control characters and bidi overrides become one space: no forged lines, quotes or "fields";
// - outside a code span, `*`, `~` and `` ` `` become look-alikes (∗ ∼ ˋ), and so does `_` unless it sits
//   between two letters or digits (`alice_laptop` keeps it; there Slack never reads it as italics),
//   and a leading `>` becomes `›`, so a value that starts a line cannot start a quote;
// - inside a code span only `` ` `` could end the span early, so only it becomes a look-alike;
// - the length is capped, so a 5,000-character value cannot push a block over Slack's limits.
// Look-alikes change what is shown, never what is stored or audited.

const ELLIPSIS = '…';

/**
 * At most `max` UTF-16 units (what Slack counts), never splitting a surrogate pair; a cut is marked with an ellipsis.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max - ELLIPSIS.length) break;
    out += char;
  }
  return out + ELLIPSIS;
}

/**
 * Like `clip`, for mrkdwn: never leaves half an entity (`&am`), half a mention (`<@U12`) or half a code
 * span behind; an unclosed span would let the outside text in it format.
 */
export function clipMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = clip(text, max)
    .slice(0, -ELLIPSIS.length)
    .replace(/&[a-z#0-9]*$|<[^>]*$/, '');
  if ((cut.match(/`/g) ?? []).length % 2 === 1) cut = cut.slice(0, cut.lastIndexOf('`'));
  return cut + ELLIPSIS;
}

const FLATTEN = /[\p{Cc}\s\u202A-\u202E\u2066-\u2069]+/gu;
const oneLine = (raw: string, max: number) => clip(raw.replace(FLATTEN, ' ').trim(), max);
const LOOK_ALIKE: Record<string, string> = { '*': '\u2217', '~': '\u223C', '`': '\u02CB', _: '\uFF3F' };

/** Slack reads `&`, `<` and `>` in mrkdwn as markup (`<!channel>`, `<@U…>`, links); user text must not be. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A user-controlled value inside one line of mrkdwn, outside a code span: see the rule above. */
export function userText(raw: string, max = 120): string {
  return escapeMrkdwn(oneLine(raw, max).replace(/^>/, '\u203A')).replace(
    /[*~`]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu,
    (char) => LOOK_ALIKE[char],
  );
}

/**
 * A user-controlled value as a code span (CNs, serials, addresses): exact but for a backtick, which could close the
 * span.
 */
export const code = (raw: string, max = 120) => `\`${escapeMrkdwn(oneLine(raw, max)).replace(/`/g, LOOK_ALIKE['`'])}\``;

/** A user-controlled value in a plain_text object: Slack shows it as typed, so only lines and length need taming. */
export const plainText = (raw: string, max: number) => oneLine(raw, max);

const MEMBER_MENTION = /(<@[UW][A-Z0-9]{2,}>)/;

/**
 * For text our listeners compose around a member mention (`<@U123> has no certificates`): the mention
 * stays a mention, everything else (`<!channel>`, links, `&`) is escaped. Outside text in it has already
 * been through `userText` or `code`, so the entities those made are kept rather than escaped twice.
 */
export function escapeMrkdwnExceptMentions(text: string): string {
  return text
    .split(MEMBER_MENTION)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part
            .replace(/&(?!amp;|lt;|gt;)/g, '&amp;')
            .replace(/</g, '&lt;')
            .replace(/>/g, '&gt;'),
    )
    .join('');
}

/**
 * A Slack member ID as a mention; anything else (`vpnctl:alice`, `system:crl-renewal`, a stored `<@U…>`)
 * as text, so only an ID our code recorded can ping anyone.
 */
export function mention(id: string): string {
  return isSlackId(id) ? `<@${id}>` : userText(id, 80);
}
