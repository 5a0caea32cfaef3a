/**
 * The bot scopes `manifest.yml` asks for (a test keeps the two equal): what `doctor` expects the bot
 * token to hold, and what the Slack stand-in grants unless told otherwise.
 */
export const BOT_SCOPES: readonly string[] = [
  'commands',
  'chat:write',
  'im:write',
  'reactions:read',
  'users:read',
  'files:write',
  'usergroups:read',
];
