import { SettingsError, readSettings } from '../../infra/settings';

const VALID = {
  region: 'eu-west-1',
  domain: 'vpn.example.com',
  endpoint: 'cvpn-endpoint-0123456789abcdef0',
  adminChannelId: 'C0123456789',
};
const CREATE = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0'],
  vpcCidr: '10.0.0.0/16',
  clientCidr: '10.100.0.0/22',
  serverCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f5c6f8e-1111-4222-8333-444455556666',
};

function problems(context: Record<string, unknown>): string {
  try {
    readSettings(context);
  } catch (error) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error('expected the settings to be refused');
}

describe('deployment settings (CDK context)', () => {
  it('accepts the minimum and fills in the defaults', () => {
    expect(readSettings(VALID)).toMatchObject({
      ...VALID,
      endpointId: VALID.endpoint,
      stackName: 'vpn-chatops',
      connectProvisionedConcurrency: 0,
      slackReservedConcurrency: 10,
      approvals: 'on',
      attachConnectHandler: true,
      reuseRetained: false,
      adminSlackIds: [],
      botSettings: {},
    });
  });

  it('takes -c strings the way cdk.json takes JSON', () => {
    const fromCli = readSettings({
      ...VALID,
      connectProvisionedConcurrency: '2',
      attachConnectHandler: 'false',
      adminSlackIds: 'U0AAA, U0BBB',
      createEndpoint: undefined,
      botSettings: '{"CRL_PUBLISH_MODE":"window"}',
    });
    expect(fromCli).toMatchObject({
      connectProvisionedConcurrency: 2,
      attachConnectHandler: false,
      adminSlackIds: ['U0AAA', 'U0BBB'],
      botSettings: { CRL_PUBLISH_MODE: 'window' },
    });
    const create = readSettings({ ...VALID, endpoint: undefined, createEndpoint: JSON.stringify(CREATE) });
    expect(create.createEndpoint).toMatchObject({ ...CREATE, splitTunnel: true });
  });

  it('names every missing setting with an example, in one message', () => {
    const message = problems({});
    expect(message).toMatch(/^Invalid deployment settings \(CDK context: cdk.json "context", or -c name=value\):/);
    expect(message).toContain('  region: missing. Example: "region": "eu-west-1"');
    expect(message).toContain('  domain: missing. Example: "domain": "vpn.example.com"');
    expect(message).toContain(
      '  adminChannelId: missing (alarms and CRL alerts are posted there). Example: "adminChannelId": "C0123456789"',
    );
    expect(message).toMatch(
      / {2}endpoint: missing: set endpoint \(an existing Client VPN endpoint\) or createEndpoint \(make one\)\. Example: "endpoint": "cvpn-endpoint-0123456789abcdef0"/,
    );
    expect(message).toMatch(/See docs\/deploy.md, "Settings"\.$/);
  });

  it.each([
    ['region', 'Ireland', 'region: must be an AWS Region such as eu-west-1. Example: "region": "eu-west-1"'],
    [
      'domain',
      'VPN.Example.COM',
      'domain: must be a lower-case DNS name (the CN suffix of every certificate). Example: "domain": "vpn.example.com"',
    ],
    [
      'endpoint',
      'vpn-123',
      'endpoint: must be a Client VPN endpoint id or ARN (or "none" before a new endpoint exists). Example: "endpoint": "cvpn-endpoint-0123456789abcdef0"',
    ],
    ['adminChannelId', '#vpn-admins', 'adminChannelId: must be a Slack channel id (C…), not a #name'],
    ['connectProvisionedConcurrency', 'lots', 'connectProvisionedConcurrency: must be a whole number'],
    [
      'slackReservedConcurrency',
      '2.5',
      'slackReservedConcurrency: must be a whole number. Example: "slackReservedConcurrency": 10 (0: none',
    ],
    ['approvals', 'maybe', 'approvals: must be "on" or "off"'],
    ['account', '1234', 'account: must be a 12-digit AWS account id'],
    ['stackName', '1st stack', 'stackName: must start with a letter'],
  ])('refuses a malformed %s', (name, value, expected) => {
    expect(problems({ ...VALID, [name]: value })).toContain(`  ${expected}`);
  });

  it('refuses an endpoint in another Region than the stack, saying which and what to do', () => {
    const arn = 'arn:aws:ec2:us-east-1:123456789012:client-vpn-endpoint/cvpn-endpoint-0123456789abcdef0';
    expect(problems({ ...VALID, endpoint: arn })).toContain(
      '  endpoint: cvpn-endpoint-0123456789abcdef0 is in us-east-1, but region is eu-west-1. Client VPN only calls a connect handler in its own Region and account: set region to us-east-1, or use an endpoint in eu-west-1.',
    );
    expect(readSettings({ ...VALID, endpoint: arn, region: 'us-east-1' }).endpointId).toBe(
      'cvpn-endpoint-0123456789abcdef0',
    );
  });

  it("refuses an endpoint in another account than the deployment's", () => {
    const arn = 'arn:aws:ec2:eu-west-1:123456789012:client-vpn-endpoint/cvpn-endpoint-0123456789abcdef0';
    expect(problems({ ...VALID, endpoint: arn, account: '210987654321' })).toContain(
      "endpoint: cvpn-endpoint-0123456789abcdef0 belongs to account 123456789012, but account is 210987654321; the connect handler must be in the endpoint's account",
    );
  });

  it('wants exactly one of endpoint and createEndpoint', () => {
    expect(problems({ ...VALID, createEndpoint: CREATE })).toContain(
      'createEndpoint: set endpoint (use an existing endpoint) or createEndpoint (make one), not both',
    );
  });

  it('checks a new endpoint the way AWS would, before anything is deployed', () => {
    const create = (overrides: Record<string, unknown>) =>
      problems({ ...VALID, endpoint: undefined, createEndpoint: { ...CREATE, ...overrides } });
    expect(create({ clientCidr: '10.0.0.0/22' })).toContain(
      'createEndpoint.clientCidr: clientCidr must not overlap vpcCidr (AWS Client VPN)',
    );
    expect(create({ clientCidr: '10.100.0.0/24' })).toContain(
      'createEndpoint.clientCidr: clientCidr must be a CIDR block from /12 to /22',
    );
    expect(create({ subnetIds: [] })).toContain('createEndpoint.subnetIds: subnetIds needs at least one subnet');
    expect(create({ serverCertificateArn: CREATE.serverCertificateArn.replace('eu-west-1', 'us-west-2') })).toContain(
      'createEndpoint.serverCertificateArn: is an ACM certificate in us-west-2, but region is eu-west-1: import it into ACM in eu-west-1',
    );
    expect(create({ vpc: 'typo' })).toMatch(/createEndpoint: Unrecognized key: "vpc"/);
  });

  it("passes only policy settings through to the functions, and checks them with the bot's own rules", () => {
    expect(problems({ ...VALID, botSettings: { SLACK_BOT_TOKEN: 'xoxb-1' } })).toContain(
      'botSettings: SLACK_BOT_TOKEN cannot be set here',
    );
    expect(() => readSettings({ ...VALID, botSettings: { CRL_WINDOW: 'Sunday night' } })).toThrow(
      /Invalid botSettings: Invalid configuration:\n {2}CRL_WINDOW: looks like "Sun 03:00-05:00 UTC"/,
    );
  });

  it('refuses to deploy the example settings cdk.json ships with', () => {
    expect(readSettings({ ...VALID, example: true }).example).toBe(true);
    expect(problems({ ...VALID, example: true, deploy: 'true' })).toContain(
      'example: cdk.json still holds the example settings',
    );
  });
});
