import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { VpnChatopsError } from '../../domain/errors';
import { DENIED_CODES, RESOURCE_NOT_FOUND_CODES, awsError, hasCode } from '../aws-errors';
import { isPlaceholder } from './placeholder';

export const SLACK_SECRET_KEYS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'] as const;
export type SlackSecret = Record<(typeof SLACK_SECRET_KEYS)[number], string>;

const SHAPE = '{"SLACK_BOT_TOKEN": "xoxb-…", "SLACK_SIGNING_SECRET": "…"}';

/**
 * The Slack credentials from one Secrets Manager secret (SLACK_SECRET_ID), so no token sits in a
 * Lambda environment or a template. Messages name the secret and the missing keys, never a value.
 */
export async function readSlackSecret(secretId: string, client: SecretsManagerClient): Promise<SlackSecret> {
  const fix = `Store ${SHAPE} in it (docs/deploy.md, step 4 "Create the Slack app and store its credentials").`;
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId })));
  } catch (error) {
    if (hasCode(error, RESOURCE_NOT_FOUND_CODES))
      throw new VpnChatopsError(
        'INVALID_CONFIG',
        `The Slack secret ${secretId} (SLACK_SECRET_ID) does not exist or has no value. ${fix}`,
      );
    if (hasCode(error, DENIED_CODES)) {
      throw new VpnChatopsError(
        'INVALID_CONFIG',
        `Not allowed to call secretsmanager:GetSecretValue on the Slack secret ${secretId}: grant it to this function's role (and use of the secret's KMS key, if it is a customer-managed one).`,
        { cause: error, permission: 'secretsmanager:GetSecretValue' },
      );
    }
    const { codes, message } = awsError(error);
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `Could not read the Slack secret ${secretId} (${codes[0] ?? 'Error'}: ${message}).`,
      { cause: error },
    );
  }
  if (secretString === undefined || isPlaceholder(secretString))
    throw new VpnChatopsError('INVALID_CONFIG', `The Slack secret ${secretId} has not been filled in yet. ${fix}`);
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    // No cause and no quote: the text is a token.
    throw new VpnChatopsError('INVALID_CONFIG', `The Slack secret ${secretId} is not JSON. ${fix}`);
  }
  const fields = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const missing = SLACK_SECRET_KEYS.filter((key) => typeof fields[key] !== 'string' || fields[key] === '');
  if (missing.length)
    throw new VpnChatopsError('INVALID_CONFIG', `The Slack secret ${secretId} has no ${missing.join(' or ')}. ${fix}`);
  return {
    SLACK_BOT_TOKEN: fields.SLACK_BOT_TOKEN as string,
    SLACK_SIGNING_SECRET: fields.SLACK_SIGNING_SECRET as string,
  };
}
