import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PLACEHOLDER_KEY } from '../../src/adapters/secrets-manager/placeholder';
import { SecretsManagerTlsCryptV2Keys } from '../../src/adapters/secrets-manager/tls-crypt-v2-keys';
import { TLS_CRYPT_V2_KEYS_SENDS } from '../../src/adapters/sends';
import { generateTlsCryptV2ServerKey } from '../../src/pki/tls-crypt-v2';
import { MOTO_CREDENTIALS, MOTO_SERVER, Moto, startMoto } from '../helpers/moto';
import { describeWith } from '../helpers/tools';

const REGION = 'eu-west-1';

describeWith(
  { 'moto_server (Python 3.11; .ci/run checks for it)': MOTO_SERVER },
  'the tls-crypt-v2 server keys in Secrets Manager, against moto',
  () => {
    let moto: Moto;
    let secrets: SecretsManagerClient;
    const sent: string[] = [];
    beforeAll(async () => {
      moto = await startMoto();
      secrets = new SecretsManagerClient({
        region: REGION,
        endpoint: moto.endpoint,
        credentials: MOTO_CREDENTIALS,
        maxAttempts: 1,
      });
      secrets.middlewareStack.add(
        (next, context) => (args) => {
          sent.push(`secretsmanager:${String(context.commandName).replace(/Command$/, '')}`);
          return next(args);
        },
        { step: 'initialize', name: 'recordSends' },
      );
    });
    afterAll(async () => {
      secrets?.destroy();
      await moto?.stop();
    });
    beforeEach(() => sent.splice(0));

    it("creates the secret with the first key, keeps each endpoint's key when another is saved or removed, and fills the placeholder", async () => {
      const keys = new SecretsManagerTlsCryptV2Keys({ secretId: 'test/tc2-new', client: secrets });
      const office = generateTlsCryptV2ServerKey();
      const lab = generateTlsCryptV2ServerKey();
      expect(await keys.load('openvpn:office')).toBeUndefined();
      await keys.save('openvpn:office', office);
      await keys.save('openvpn:lab', lab);
      expect(await keys.load('openvpn:office')).toBe(office);
      expect(await keys.load('openvpn:lab')).toBe(lab);
      for (const action of sent) expect(TLS_CRYPT_V2_KEYS_SENDS.save as readonly string[]).toContain(action);

      sent.splice(0);
      await keys.remove('openvpn:lab');
      await keys.remove('openvpn:lab');
      expect(await keys.load('openvpn:lab')).toBeUndefined();
      expect(await keys.load('openvpn:office')).toBe(office);
      expect(sent).toContain('secretsmanager:PutSecretValue');
      for (const action of sent) expect(TLS_CRYPT_V2_KEYS_SENDS.remove as readonly string[]).toContain(action);

      await secrets.send(
        new CreateSecretCommand({
          Name: 'test/tc2-placeholder',
          SecretString: JSON.stringify({ [PLACEHOLDER_KEY]: 'fill me', filler: 'x' }),
        }),
      );
      const deployed = new SecretsManagerTlsCryptV2Keys({ secretId: 'test/tc2-placeholder', client: secrets });
      expect(await deployed.load('openvpn:office')).toBeUndefined();
      await deployed.save('openvpn:office', office);
      expect(await deployed.load('openvpn:office')).toBe(office);
    });

    it('says what is wrong with a secret that holds something else, without quoting it', async () => {
      const stranger = generateTlsCryptV2ServerKey();
      await secrets.send(new CreateSecretCommand({ Name: 'test/tc2-odd', SecretString: `not json ${stranger}` }));
      await secrets.send(
        new CreateSecretCommand({ Name: 'test/tc2-array', SecretString: JSON.stringify({ 'openvpn:office': [1] }) }),
      );
      sent.splice(0);
      const odd = new SecretsManagerTlsCryptV2Keys({ secretId: 'test/tc2-odd', client: secrets });
      const failure = await odd.load('openvpn:office').catch((error: Error) => error.message);
      expect(failure).toMatch(
        /^Secret test\/tc2-odd does not hold tls-crypt-v2 server keys: its SecretString is not JSON/,
      );
      expect(failure).not.toContain(stranger.split('\n')[1]);
      await expect(
        new SecretsManagerTlsCryptV2Keys({ secretId: 'test/tc2-array', client: secrets }).load('openvpn:office'),
      ).rejects.toThrow('the value for openvpn:office is not text');
      for (const action of sent) expect(TLS_CRYPT_V2_KEYS_SENDS.load as readonly string[]).toContain(action);
    });
  },
);
