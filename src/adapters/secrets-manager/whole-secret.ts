import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { VpnChatopsError } from '../../domain/errors';
import { DENIED_CODES, RESOURCE_NOT_FOUND_CODES, awsError, hasCode } from '../aws-errors';
import { isPlaceholder } from './placeholder';

const EXISTS_CODES = new Set(['ResourceExistsException']);

/** Each is also the IAM action `secretsmanager:<name>` an access-denied message must name. */
type SecretsAction = 'GetSecretValue' | 'PutSecretValue' | 'CreateSecret';

export interface WholeSecretOptions {
  secretId: string;
  client: SecretsManagerClient;
  /** The new secret's description, should this create it. */
  description: string;
  /** The setting that names the secret, for the fix an error message gives. */
  setting: string;
  /** Who needs the permission an access-denied message names. */
  grantee: string;
}

/**
 * One secret whose value is read and written whole: the CA store and the tls-crypt-v2 key store share its calls
 * and its messages, which name the secret and never quote its value (a private key).
 */
export class WholeSecret {
  constructor(private readonly options: WholeSecretOptions) {}

  /** The current value, or undefined when there is none: no such secret, one that never got a value, or the deployment's placeholder. */
  async read(): Promise<{ value: string | undefined } | undefined> {
    try {
      const { SecretString } = await this.options.client.send(
        new GetSecretValueCommand({ SecretId: this.options.secretId }),
      );
      return isPlaceholder(SecretString) ? undefined : { value: SecretString };
    } catch (error) {
      if (hasCode(error, RESOURCE_NOT_FOUND_CODES)) return undefined;
      throw this.failure('GetSecretValue', error);
    }
  }

  /** False when the secret turns out to exist already. */
  async create(secretString: string): Promise<boolean> {
    try {
      await this.options.client.send(
        new CreateSecretCommand({
          Name: this.options.secretId,
          SecretString: secretString,
          Description: this.options.description,
        }),
      );
      return true;
    } catch (error) {
      if (hasCode(error, EXISTS_CODES)) return false;
      throw this.failure('CreateSecret', error);
    }
  }

  async put(secretString: string): Promise<void> {
    try {
      await this.options.client.send(
        new PutSecretValueCommand({ SecretId: this.options.secretId, SecretString: secretString }),
      );
    } catch (error) {
      throw this.failure('PutSecretValue', error);
    }
  }

  private failure(action: SecretsAction, error: unknown): VpnChatopsError {
    const { secretId, setting, grantee } = this.options;
    if (hasCode(error, DENIED_CODES))
      return new VpnChatopsError(
        'STATE',
        `Not allowed to call secretsmanager:${action} on secret ${secretId}: grant secretsmanager:${action} to ${grantee}.`,
        { cause: error, permission: `secretsmanager:${action}` },
      );
    const { codes, message } = awsError(error);
    return new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `secretsmanager:${action} failed on secret ${secretId} (${codes[0] ?? 'Error'}: ${message}); check ${setting}, AWS_REGION and credentials.`,
      { cause: error },
    );
  }
}
