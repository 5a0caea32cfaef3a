import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { VpnChatopsError } from '../../domain/errors';
import type { CaMaterial } from '../../pki/ca';
import type { CaStore } from '../../ports';
import { WholeSecret } from './whole-secret';

export interface SecretsManagerCaStoreOptions {
  secretId: string;
  client?: SecretsManagerClient;
  region?: string;
}

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
  private readonly secret: WholeSecret;

  constructor(options: SecretsManagerCaStoreOptions) {
    this.secretId = options.secretId;
    this.location = `secretsmanager:${options.secretId}`;
    this.secret = new WholeSecret({
      secretId: options.secretId,
      client: options.client ?? new SecretsManagerClient({ region: options.region }),
      description: DESCRIPTION,
      setting: 'CA_SECRET_ID',
      grantee: "the IAM role the bot runs as (and use of the secret's KMS key, if it is a customer-managed one)",
    });
  }

  async load(): Promise<CaMaterial | undefined> {
    const secret = await this.secret.read();
    return secret === undefined ? undefined : this.parse(secret.value);
  }

  async save(material: CaMaterial, options: { overwrite?: boolean } = {}): Promise<void> {
    const secretString = JSON.stringify({ certPem: material.certPem, keyPem: material.keyPem });
    let exists = (await this.secret.read()) !== undefined;
    if (!exists) {
      if (await this.secret.create(secretString)) return;
      // The secret exists without a value (created empty, e.g. by CloudFormation), or someone just created it: look again.
      exists = (await this.secret.read()) !== undefined;
    }
    if (exists && !options.overwrite) {
      throw new VpnChatopsError('STATE', `A CA already exists in secret ${this.secretId}; refusing to replace it.`);
    }
    await this.secret.put(secretString);
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
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
