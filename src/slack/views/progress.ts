import { message, section } from './blocks';
import { escapeMrkdwnExceptMentions } from './markup';
import type { MessageView } from './types';

/**
 * `text` may carry its own emoji, mrkdwn and member mentions; anything else that looks like markup is
 * escaped. Outside text goes into it through `userText` or `code`.
 */
export function progressMessage(text: string): MessageView {
  const safe = escapeMrkdwnExceptMentions(text);
  return message(safe, [section(safe)]);
}
