import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { VpnChatopsError } from '../../domain/errors';
import { DENIED_CODES, RESOURCE_NOT_FOUND_CODES, awsError, hasCode } from '../aws-errors';
import type { CaMaterial } from '../../pki/ca';
import type { CaStore } from '../../ports';
import { isPlaceholder } from './placeholder';

const EXISTS_CODES = new Set(['ResourceExistsException']);

export interface SecretsManagerCaStoreOptions {
  secretId: string;
  client?: SecretsManagerClient;
  region?: string;
}

/** Each is also the IAM action `secretsmanager:<name>` an access-denied message must name. */
type SecretsAction = 'GetSecretValue' | 'PutSecretValue' | 'CreateSecret';

const EXPECTED_SHAPE =
  'a SecretString holding JSON {"certPem": "-----BEGIN CERTIFICATE-----…", "keyPem": "-----BEGIN PRIVATE KEY-----…"}';
const DESCRIPTION = 'vpn-chatops CA certificate and private key, as JSON {"certPem", "keyPem"}';

/**
 * The CA in one Secrets Manager secret, so certificate and key change together. Error messages name the
 * secret but never quote its value: it holds the CA private key.
 */
export class SecretsManagerCaStore implements CaStore {
  readonly location: string;
  private readonly secretId: string;
  private readonly client: SecretsManagerClient;

  constructor(options: SecretsManagerCaStoreOptions) {
    this.secretId = options.secretId;
    this.location = `secretsmanager:${options.secretId}`;
    this.client = options.client ?? new SecretsManagerClient({ region: options.region });
  }

  async load(): Promise<CaMaterial | undefined> {
    const secret = await this.read();
    return secret === undefined ? undefined : this.parse(secret.SecretString);
  }

  async save(material: CaMaterial, options: { overwrite?: boolean } = {}): Promise<void> {
    const secretString = JSON.stringify({ certPem: material.certPem, keyPem: material.keyPem });
    let exists = (await this.read()) !== undefined;
    if (!exists) {
      if (await this.create(secretString)) return;
      // The secret exists without a value (created empty, e.g. by CloudFormation), or someone just created it: look
      // again.
      exists = (await this.read()) !== undefined;
    }
    if (exists && !options.overwrite) {
      throw new VpnChatopsError('STATE', `A CA already exists in secret ${this.secretId}; refusing to replace it.`);
    }
    await this.put(secretString);
  }

  /**
   * The current value, or undefined when there is none: no such secret, one that never got a value, or the deployment's
   * placeholder.
   */
  private async read(): Promise<GetSecretValueCommandOutput | undefined> {
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      return isPlaceholder(output.SecretString) ? undefined : output;
    } catch (error) {
      if (hasCode(error, RESOURCE_NOT_FOUND_CODES)) return undefined;
      throw this.failure('GetSecretValue', error);
    }
  }

  /** False when the secret turns out to exist already. */
  private async create(secretString: string): Promise<boolean> {
    try {
      await this.client.send(
        new CreateSecretCommand({ Name: this.secretId, SecretString: secretString, Description: DESCRIPTION }),
      );
      return true;
    } catch (error) {
      if (hasCode(error, EXISTS_CODES)) return false;
      throw this.failure('CreateSecret', error);
    }
  }

  private async put(secretString: string): Promise<void> {
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: this.secretId, SecretString: secretString }));
    } catch (error) {
      throw this.failure('PutSecretValue', error);
    }
  }

  /** No `cause` on these errors: JSON.parse quotes the text it rejects, and that text may be the key. */
  private parse(secretString: string | undefined): CaMaterial {
    if (secretString === undefined) return this.notACa('it has no SecretString (a binary secret?)');
    let value: unknown;
    try {
      value = JSON.parse(secretString);
    } catch {
      return this.notACa('its SecretString is not JSON');
    }
    if (typeof value !== 'object' || value === null) return this.notACa('its SecretString is not a JSON object');
    const { certPem, keyPem } = value as { certPem?: unknown; keyPem?: unknown };
    if (isText(certPem) && isText(keyPem)) return { certPem, keyPem };
    const missing = Object.entries({ certPem, keyPem })
      .filter(([, field]) => !isText(field))
      .map(([name]) => name);
    return this.notACa(`${missing.join(' and ')} missing or empty`);
  }

  private notACa(problem: string): never {
    throw new VpnChatopsError(
      'STATE',
      `Secret ${this.secretId} does not hold a CA: ${problem}. Expected ${EXPECTED_SHAPE}; fix the secret, or point CA_SECRET_ID at another one.`,
    );
  }

  private failure(action: SecretsAction, error: unknown): VpnChatopsError {
    if (hasCode(error, DENIED_CODES)) {
      return new VpnChatopsError(
        'STATE',
        `Not allowed to call secretsmanager:${action} on secret ${this.secretId}: grant secretsmanager:${action} to the IAM role the bot runs as (and use of the secret's KMS key, if it is a customer-managed one).`,
        { cause: error, permission: `secretsmanager:${action}` },
      );
    }
    const { codes, message } = awsError(error);
    return new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `secretsmanager:${action} failed on secret ${this.secretId} (${codes[0] ?? 'Error'}: ${message}); check CA_SECRET_ID, AWS_REGION and credentials.`,
      { cause: error },
    );
  }
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
