import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerCaStore } from '../../src/adapters/secrets-manager/ca-store';
import { rejectionOf as typedRejection } from '../helpers/errors';

const SECRET_ID = 'vpn-chatops/ca';
const KEY_PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC-very-secret\n-----END PRIVATE KEY-----\n';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIU\n-----END CERTIFICATE-----\n';
const material = { certPem: CERT_PEM, keyPem: KEY_PEM };
const DESCRIPTION = 'vpn-chatops CA certificate and private key, as JSON {"certPem", "keyPem"}';

const secrets = mockClient(SecretsManagerClient);
const store = () =>
  new SecretsManagerCaStore({ secretId: SECRET_ID, client: new SecretsManagerClient({ region: 'eu-west-1' }) });

const notFound = () =>
  new ResourceNotFoundException({
    $metadata: { httpStatusCode: 400 },
    message: "Secrets Manager can't find the specified secret.",
  });
const awsError = (name: string, message: string) =>
  new SecretsManagerServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });

/** The typed error a promise rejects with; asserts, for every one, that the key never leaks into it. */
async function rejectionOf(promise: Promise<unknown>) {
  const error = await typedRejection(promise);
  expect(error.message).not.toContain('very-secret');
  expect(String(error.cause ?? '')).not.toContain('very-secret');
  return error;
}

const inputs = (command: Parameters<typeof secrets.commandCalls>[0]) =>
  secrets.commandCalls(command).map((call) => call.args[0].input);

beforeEach(() => secrets.reset());

/**
 * aws-sdk-client-mock here for exact inputs and what moto cannot answer (AccessDenied, outages, a write racing
 * ours, binary or non-JSON values); the same store against moto_server: test/integration/aws-adapters-moto.test.ts.
 */
describe('SecretsManagerCaStore', () => {
  it('names its secret as its location', () => {
    expect(store().location).toBe(`secretsmanager:${SECRET_ID}`);
  });

  describe('load', () => {
    it('reads the CA from the JSON secret', async () => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(material) });
      expect(await store().load()).toEqual(material);
      expect(inputs(GetSecretValueCommand)).toStrictEqual([{ SecretId: SECRET_ID }]);
    });

    it('finds no CA when the secret does not exist', async () => {
      secrets.on(GetSecretValueCommand).rejects(notFound());
      expect(await store().load()).toBeUndefined();
    });

    it('refuses a secret that is not JSON, without quoting it', async () => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: `${KEY_PEM}{` });
      const error = await rejectionOf(store().load());
      expect(error.code).toBe('STATE');
      expect(error.message).toBe(
        `Secret ${SECRET_ID} does not hold a CA: its SecretString is not JSON. Expected a SecretString holding JSON {"certPem": "-----BEGIN CERTIFICATE-----…", "keyPem": "-----BEGIN PRIVATE KEY-----…"}; fix the secret, or point CA_SECRET_ID at another one.`,
      );
      expect(error.cause).toBeUndefined();
    });

    it.each([
      [{ keyPem: KEY_PEM }, 'certPem missing or empty'],
      [{ certPem: CERT_PEM, keyPem: '' }, 'keyPem missing or empty'],
      [{ certPem: 1, keyPem: null }, 'certPem and keyPem missing or empty'],
    ])('names the missing fields of %j', async (value, problem) => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(value) });
      const error = await rejectionOf(store().load());
      expect(error.code).toBe('STATE');
      expect(error.message).toContain(`Secret ${SECRET_ID} does not hold a CA: ${problem}.`);
    });

    it.each([
      [JSON.stringify(KEY_PEM), 'not a JSON object'],
      ['null', 'not a JSON object'],
    ])('refuses JSON that is not an object: %s', async (secretString, problem) => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: secretString });
      expect((await rejectionOf(store().load())).message).toContain(problem);
    });

    it('finds no CA in the placeholder the deployment created', async () => {
      secrets
        .on(GetSecretValueCommand)
        .resolves({ SecretString: JSON.stringify({ vpnChatopsPlaceholder: 'run vpnctl ca init', filler: 'x1y2' }) });
      expect(await store().load()).toBeUndefined();
    });

    it('refuses a binary secret', async () => {
      secrets.on(GetSecretValueCommand).resolves({ SecretBinary: Buffer.from(KEY_PEM) });
      expect((await rejectionOf(store().load())).message).toContain('has no SecretString');
    });

    it('names the IAM action when access is denied', async () => {
      secrets
        .on(GetSecretValueCommand)
        .rejects(awsError('AccessDeniedException', 'User is not authorized to perform: secretsmanager:GetSecretValue'));
      const error = await rejectionOf(store().load());
      expect(error.code).toBe('STATE');
      expect(error.message).toMatch(
        /^Not allowed to call secretsmanager:GetSecretValue on secret vpn-chatops\/ca: grant secretsmanager:GetSecretValue /,
      );
      expect(error.permission).toBe('secretsmanager:GetSecretValue');
    });

    it('reports other failures as the store being unavailable', async () => {
      secrets
        .on(GetSecretValueCommand)
        .rejects(awsError('InternalServiceError', 'An error occurred on the server side.'));
      const error = await rejectionOf(store().load());
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toBe(
        `secretsmanager:GetSecretValue failed on secret ${SECRET_ID} (InternalServiceError: An error occurred on the server side.); check CA_SECRET_ID, AWS_REGION and credentials.`,
      );
    });
  });

  describe('save', () => {
    it('creates the secret when there is none', async () => {
      secrets.on(GetSecretValueCommand).rejects(notFound());
      secrets.on(CreateSecretCommand).resolves({ Name: SECRET_ID });
      await store().save(material);
      expect(inputs(CreateSecretCommand)).toStrictEqual([
        { Name: SECRET_ID, SecretString: JSON.stringify(material), Description: DESCRIPTION },
      ]);
      expect(inputs(PutSecretValueCommand)).toEqual([]);
    });

    it('round-trips what it saved', async () => {
      secrets.on(GetSecretValueCommand).rejectsOnce(notFound());
      secrets.on(CreateSecretCommand).callsFake((input) => {
        secrets.on(GetSecretValueCommand).resolves({ SecretString: input.SecretString });
        return { Name: SECRET_ID };
      });
      const ca = store();
      await ca.save(material);
      expect(await ca.load()).toEqual(material);
    });

    it('refuses to replace an existing CA unless told to', async () => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(material) });
      const error = await rejectionOf(store().save({ certPem: 'NEW CERT', keyPem: 'NEW KEY' }));
      expect(error.code).toBe('STATE');
      expect(error.message).toBe(`A CA already exists in secret ${SECRET_ID}; refusing to replace it.`);
      expect(inputs(PutSecretValueCommand)).toEqual([]);
      expect(inputs(CreateSecretCommand)).toEqual([]);
    });

    it('refuses even when the existing value is not a CA', async () => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'placeholder' });
      await expect(store().save(material)).rejects.toThrow('refusing to replace it');
    });

    it('replaces the value when told to overwrite', async () => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ certPem: 'OLD', keyPem: 'OLD' }) });
      secrets.on(PutSecretValueCommand).resolves({});
      await store().save(material, { overwrite: true });
      expect(inputs(PutSecretValueCommand)).toStrictEqual([
        { SecretId: SECRET_ID, SecretString: JSON.stringify(material) },
      ]);
      expect(inputs(CreateSecretCommand)).toEqual([]);
    });

    it('fills a secret that exists without a value', async () => {
      secrets.on(GetSecretValueCommand).rejects(notFound());
      secrets.on(CreateSecretCommand).rejects(
        new ResourceExistsException({
          $metadata: {},
          message: 'The operation failed because the secret vpn-chatops/ca already exists.',
        }),
      );
      secrets.on(PutSecretValueCommand).resolves({});
      await store().save(material);
      expect(inputs(GetSecretValueCommand)).toHaveLength(2);
      expect(inputs(PutSecretValueCommand)).toStrictEqual([
        { SecretId: SECRET_ID, SecretString: JSON.stringify(material) },
      ]);
    });

    it('fills the placeholder the deployment created, without --force', async () => {
      secrets
        .on(GetSecretValueCommand)
        .resolves({ SecretString: JSON.stringify({ vpnChatopsPlaceholder: 'run vpnctl ca init', filler: 'x1y2' }) });
      secrets.on(CreateSecretCommand).rejects(new ResourceExistsException({ $metadata: {}, message: 'exists' }));
      secrets.on(PutSecretValueCommand).resolves({});
      await store().save(material);
      expect(inputs(PutSecretValueCommand)).toStrictEqual([
        { SecretId: SECRET_ID, SecretString: JSON.stringify(material) },
      ]);
    });

    it('does not overwrite a CA someone else created meanwhile', async () => {
      secrets
        .on(GetSecretValueCommand)
        .rejectsOnce(notFound())
        .resolves({ SecretString: JSON.stringify({ certPem: 'THEIRS', keyPem: 'THEIRS' }) });
      secrets.on(CreateSecretCommand).rejects(new ResourceExistsException({ $metadata: {}, message: 'exists' }));
      await expect(store().save(material)).rejects.toThrow('refusing to replace it');
      expect(inputs(PutSecretValueCommand)).toEqual([]);
    });

    it.each([
      ['CreateSecret', () => secrets.on(GetSecretValueCommand).rejects(notFound()).on(CreateSecretCommand)],
      [
        'PutSecretValue',
        () => secrets.on(GetSecretValueCommand).resolves({ SecretString: '{}' }).on(PutSecretValueCommand),
      ],
    ])('names secretsmanager:%s when it is denied, and never the key', async (action, denied) => {
      denied().rejects(
        awsError('AccessDeniedException', `User is not authorized to perform: secretsmanager:${action}`),
      );
      const error = await rejectionOf(store().save(material, { overwrite: true }));
      expect(error.code).toBe('STATE');
      expect(error.message).toContain(`Not allowed to call secretsmanager:${action} on secret ${SECRET_ID}`);
    });

    it('reports a failed write without the key', async () => {
      secrets.on(GetSecretValueCommand).rejects(notFound());
      secrets.on(CreateSecretCommand).rejects(awsError('LimitExceededException', 'Too many secrets.'));
      const error = await rejectionOf(store().save(material));
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toContain(
        'secretsmanager:CreateSecret failed on secret vpn-chatops/ca (LimitExceededException: Too many secrets.)',
      );
    });
  });
});
