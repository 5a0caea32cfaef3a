import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { VpnChatopsError } from '../../domain/errors';
import { DENIED_CODES, RESOURCE_NOT_FOUND_CODES, awsError, hasCode } from '../aws-errors';
import type { TlsCryptV2KeyStore } from '../../ports';
import { isPlaceholder } from './placeholder';

const EXISTS_CODES = new Set(['ResourceExistsException']);
const DESCRIPTION = 'vpn-chatops tls-crypt-v2 server keys, as JSON {"openvpn:<endpoint name>": "<server key>"}';

type SecretsAction = 'GetSecretValue' | 'PutSecretValue' | 'CreateSecret';

export interface SecretsManagerTlsCryptV2KeysOptions {
  secretId: string;
  client?: SecretsManagerClient;
  region?: string;
}

/**
 * Every agent-served endpoint's tls-crypt-v2 server key in one secret, by endpoint key: one secret the deployment
 * creates and grants, whatever endpoints are added later. Messages name the secret and never quote its value.
 */
export class SecretsManagerTlsCryptV2Keys implements TlsCryptV2KeyStore {
  readonly location: string;
  private readonly secretId: string;
  private readonly client: SecretsManagerClient;

  constructor(options: SecretsManagerTlsCryptV2KeysOptions) {
    this.secretId = options.secretId;
    this.location = `secretsmanager:${options.secretId}`;
    this.client = options.client ?? new SecretsManagerClient({ region: options.region });
  }

  async load(endpointKey: string): Promise<string | undefined> {
    return (await this.read())?.keys[endpointKey];
  }

  /** Read, change one endpoint, write back: the others' keys stay as they were. */
  async save(endpointKey: string, serverKeyPem: string): Promise<void> {
    const current = await this.read();
    const value = JSON.stringify({ ...current?.keys, [endpointKey]: serverKeyPem });
    if (current === undefined && (await this.create(value))) return;
    await this.put(value);
  }

  /** Read, drop one endpoint, write back; a secret that never held it is left alone. */
  async remove(endpointKey: string): Promise<void> {
    const current = await this.read();
    if (current === undefined || !(endpointKey in current.keys)) return;
    await this.put(
      JSON.stringify(Object.fromEntries(Object.entries(current.keys).filter(([key]) => key !== endpointKey))),
    );
  }

  /** Undefined when there is no secret or no value yet (the deployment's placeholder included). */
  private async read(): Promise<{ keys: Record<string, string> } | undefined> {
    let secretString: string | undefined;
    try {
      secretString = (await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }))).SecretString;
    } catch (error) {
      if (hasCode(error, RESOURCE_NOT_FOUND_CODES)) return undefined;
      throw this.failure('GetSecretValue', error);
    }
    if (isPlaceholder(secretString)) return undefined;
    return { keys: this.parse(secretString) };
  }

  /** No `cause` on these errors: JSON.parse quotes the text it rejects, and that text may be a key. */
  private parse(secretString: string | undefined): Record<string, string> {
    let value: unknown;
    try {
      value = JSON.parse(secretString ?? '');
    } catch {
      return this.malformed('its SecretString is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return this.malformed('its SecretString is not a JSON object');
    const entries = Object.entries(value as Record<string, unknown>);
    const odd = entries.filter(([, key]) => typeof key !== 'string').map(([endpoint]) => endpoint);
    if (odd.length > 0) return this.malformed(`the value for ${odd.join(', ')} is not text`);
    return Object.fromEntries(entries) as Record<string, string>;
  }

  private malformed(problem: string): never {
    throw new VpnChatopsError(
      'STATE',
      `Secret ${this.secretId} does not hold tls-crypt-v2 server keys: ${problem}. Expected JSON {"openvpn:<endpoint name>": "-----BEGIN OpenVPN tls-crypt-v2 server key-----…"}; run \`vpnctl endpoint tls-crypt-v2 import <endpoint>\` on the VPN host to write it.`,
    );
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

  private failure(action: SecretsAction, error: unknown): VpnChatopsError {
    if (hasCode(error, DENIED_CODES))
      return new VpnChatopsError(
        'STATE',
        `Not allowed to call secretsmanager:${action} on secret ${this.secretId}: grant secretsmanager:${action} to the IAM role this runs as (TLS_CRYPT_V2_SECRET_ID).`,
        { cause: error, permission: `secretsmanager:${action}` },
      );
    const { codes, message } = awsError(error);
    return new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `secretsmanager:${action} failed on secret ${this.secretId} (${codes[0] ?? 'Error'}: ${message}); check TLS_CRYPT_V2_SECRET_ID, AWS_REGION and credentials.`,
      { cause: error },
    );
  }
}
