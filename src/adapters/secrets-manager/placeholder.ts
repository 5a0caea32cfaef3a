/**
 * CloudFormation cannot create a secret without a value, so the CDK app creates each one holding only
 * this key (and a random filler). The stores read such a secret as "not filled in yet": `vpnctl ca init`
 * may fill it without --force, and the bot says what to run instead of "this is not a CA".
 */
export const PLACEHOLDER_KEY = 'vpnChatopsPlaceholder';

/** True for the JSON the deployment created and nobody has replaced yet. */
export function isPlaceholder(secretString: string | undefined): boolean {
  if (secretString === undefined) return false;
  try {
    const value: unknown = JSON.parse(secretString);
    return typeof value === 'object' && value !== null && PLACEHOLDER_KEY in value;
  } catch {
    return false;
  }
}
