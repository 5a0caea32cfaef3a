import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createConnectHandler } from '../../src/composition/connect-handler';
import { loadConfig } from '../../src/config';
import { loadLambdaConfig } from '../../src/adapters/aws-lambda/config';
import { rejectionOf } from '../helpers/errors';

const SECRET_ID = 'vpn-chatops/slack';
const TOKEN = 'xoxb-1-secret-token';
const SIGNING = 'signing-secret-value';

const secrets = mockClient(SecretsManagerClient);
const client = () => new SecretsManagerClient({ region: 'eu-west-1' });
const holds = (value: unknown) =>
  secrets
    .on(GetSecretValueCommand)
    .resolves({ SecretString: typeof value === 'string' ? value : JSON.stringify(value) });

/** Every failure names the secret and never quotes what is in it. */
async function failure(env: Record<string, string>) {
  const error = await rejectionOf(loadLambdaConfig(env, client()));
  expect(error.message).toContain(SECRET_ID);
  expect(error.message).not.toContain(TOKEN);
  expect(error.message).not.toContain(SIGNING);
  expect(String(error.cause ?? '')).not.toContain(TOKEN);
  return error;
}

beforeEach(() => secrets.reset());

describe('loadLambdaConfig: Slack credentials from Secrets Manager', () => {
  it('reads the tokens from the secret SLACK_SECRET_ID names', async () => {
    holds({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING });
    const config = await loadLambdaConfig(
      { SLACK_SECRET_ID: SECRET_ID, AWS_REGION: 'eu-west-1', CERT_DOMAIN: 'vpn.example.com' },
      client(),
    );
    expect(config).toMatchObject({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SIGNING,
      CERT_DOMAIN: 'vpn.example.com',
    });
    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toStrictEqual([
      { SecretId: SECRET_ID },
    ]);
  });

  it('needs no secret without SLACK_SECRET_ID (local runs), and lets the environment win over the secret', async () => {
    expect(await loadLambdaConfig({ SLACK_BOT_TOKEN: 'xoxb-local' }, client())).toMatchObject({
      SLACK_BOT_TOKEN: 'xoxb-local',
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    holds({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING });
    expect(
      await loadLambdaConfig({ SLACK_SECRET_ID: SECRET_ID, SLACK_BOT_TOKEN: 'xoxb-override' }, client()),
    ).toMatchObject({ SLACK_BOT_TOKEN: 'xoxb-override', SLACK_SIGNING_SECRET: SIGNING });
  });

  it('checks the rest of the environment before asking Secrets Manager', async () => {
    await expect(loadLambdaConfig({ SLACK_SECRET_ID: SECRET_ID, CERT_DAYS: 'soon' }, client())).rejects.toThrow(
      'CERT_DAYS',
    );
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('says the secret is not filled in yet while it holds the deployment placeholder', async () => {
    holds({ vpnChatopsPlaceholder: 'fill me', filler: 'abc' });
    const error = await failure({ SLACK_SECRET_ID: SECRET_ID });
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(
      /has not been filled in yet\. Store \{"SLACK_BOT_TOKEN": "xoxb-…", "SLACK_SIGNING_SECRET": "…"\} in it/,
    );
  });

  it.each([
    [{ SLACK_BOT_TOKEN: TOKEN }, 'has no SLACK_SIGNING_SECRET'],
    [{ SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: SIGNING }, 'has no SLACK_BOT_TOKEN'],
    [[TOKEN, SIGNING], 'has no SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET'],
    [`${TOKEN}{`, 'is not JSON'],
  ])('names what is wrong with %j without quoting it', async (value, problem) => {
    holds(value);
    expect((await failure({ SLACK_SECRET_ID: SECRET_ID })).message).toContain(problem);
  });

  it.each(['AccessDeniedException', 'AccessDenied'])(
    'names the permission a %s needs, for doctor to report',
    async (code) => {
      secrets.on(GetSecretValueCommand).rejects(
        new SecretsManagerServiceException({
          name: code,
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'not authorized',
        }),
      );
      const error = await failure({ SLACK_SECRET_ID: SECRET_ID });
      expect(error).toMatchObject({ code: 'INVALID_CONFIG', permission: 'secretsmanager:GetSecretValue' });
      expect(error.message).toMatch(
        /Not allowed to call secretsmanager:GetSecretValue on the Slack secret vpn-chatops\/slack: grant it to this function's role/,
      );
    },
  );

  it('explains a missing secret, a denied read and an outage', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(
        new ResourceNotFoundException({ $metadata: {}, message: "Secrets Manager can't find the specified secret." }),
      );
    expect((await failure({ SLACK_SECRET_ID: SECRET_ID })).message).toMatch(/does not exist or has no value/);
    secrets.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: {},
        message: 'denied',
      }),
    );
    expect((await failure({ SLACK_SECRET_ID: SECRET_ID })).message).toMatch(
      /Not allowed to call secretsmanager:GetSecretValue on the Slack secret/,
    );
    secrets.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'InternalServiceError',
        $fault: 'server',
        $metadata: {},
        message: 'boom',
      }),
    );
    expect((await failure({ SLACK_SECRET_ID: SECRET_ID })).code).toBe('STORE_UNAVAILABLE');
  });
});

describe('the connect handler when its configuration cannot be loaded', () => {
  const event = {
    'connection-id': 'cvpn-connection-1',
    'endpoint-id': 'cvpn-endpoint-0123456789abcdef0',
    'common-name': 'jane-U0JANE.vpn.test',
    'public-ip': '198.51.100.7',
    'schema-version': 'v2',
  };

  it('refuses the login with a message, and tries again on the next one instead of caching the failure', async () => {
    let attempts = 0;
    const handler = createConnectHandler(async () => {
      attempts++;
      throw new Error('Secrets Manager is unreachable');
    });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      for (let i = 0; i < 2; i++) {
        expect(await handler(event)).toEqual({
          allow: false,
          'error-msg-on-denied-connection':
            'The VPN login check is misconfigured, so logins are refused. Tell your VPN admin.',
          'posture-compliance-statuses': [],
          'schema-version': 'v2',
        });
      }
    } finally {
      spy.mockRestore();
    }
    expect(attempts).toBe(2);
  });

  it('never loads anything for a request it cannot read', async () => {
    const handler = createConnectHandler(() => loadConfig({ CERT_DAYS: 'soon' }));
    expect(await handler('garbage')).toMatchObject({
      allow: false,
      'error-msg-on-denied-connection': expect.stringMatching(/could not read your certificate name/),
    });
  });
});
