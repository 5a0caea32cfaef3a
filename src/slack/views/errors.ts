import { message, section } from './blocks';
import { escapeMrkdwnExceptMentions } from './markup';
import type { MessageView } from './types';

/**
 * For failures shown ephemerally; `text` should say what went wrong and what to do next. Like a progress
 * message, it may carry our own mrkdwn and member mentions, and outside text goes in through `userText` or `code`.
 */
export function errorMessage(text: string): MessageView {
  const safe = `⚠️ ${escapeMrkdwnExceptMentions(text)}`;
  return message(safe, [section(safe)]);
}
