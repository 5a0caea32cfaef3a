import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSlackSecret } from '../secrets-manager/slack-secret';
import { Config, loadConfig } from '../../config';

/**
 * The configuration of a Lambda function: the environment, plus the Slack credentials from the secret
 * SLACK_SECRET_ID names. A value set in the environment wins, so local runs and tests need no secret.
 */
export async function loadLambdaConfig(
  env: Record<string, string | undefined> = process.env,
  client?: SecretsManagerClient,
): Promise<Config> {
  const config = loadConfig(env);
  if (!config.SLACK_SECRET_ID) return config;
  const secret = await readSlackSecret(
    config.SLACK_SECRET_ID,
    client ?? new SecretsManagerClient({ region: config.AWS_REGION }),
  );
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  return loadConfig({ ...secret, ...set });
}
