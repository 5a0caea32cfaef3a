import type { MessageView } from './views/types';

/**
 * Answer through a slash command's or button's response_url (valid 30 minutes, 5 uses). Works in
 * any conversation, where chat.postEphemeral would need the bot to be a member.
 */
export async function respond(
  responseUrl: string,
  message: MessageView,
  options: { replaceOriginal?: boolean } = {},
): Promise<void> {
  const response = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      response_type: 'ephemeral',
      replace_original: options.replaceOriginal ?? false,
      ...message,
    }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`Slack refused the reply (${response.status} from response_url)`);
}
