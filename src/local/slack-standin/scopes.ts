/**
 * The bot scope each method the stand-in serves needs, from Slack's method reference
 * (docs.slack.dev/reference/methods/<method>.json, `scope.bot`). views.* and auth.test need none;
 * reactions.add is how tests and the console react as a person, so it is not the bot's and not checked.
 * conversations.open accepts any of several scopes; im:write is the one a DM needs.
 */
export const SCOPE_NEEDED: Readonly<Record<string, string>> = {
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'conversations.open': 'im:write',
  'reactions.get': 'reactions:read',
  'users.info': 'users:read',
  'users.list': 'users:read',
  'usergroups.users.list': 'usergroups:read',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
};
