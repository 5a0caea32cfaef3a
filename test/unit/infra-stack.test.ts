import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/bin/app';
import { tableDefinition } from '../../src/adapters/dynamodb/table';
import { tempDir } from '../helpers/tools';

const ENDPOINT = 'cvpn-endpoint-0123456789abcdef0';
const SETTINGS = {
  region: 'eu-west-1',
  domain: 'vpn.example.com',
  endpoint: ENDPOINT,
  adminChannelId: 'C0123456789',
  adminSlackIds: ['U0ADMIN1'],
};
const CREATE = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  vpcCidr: '10.0.0.0/16',
  clientCidr: '10.100.0.0/22',
  serverCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f5c6f8e-1111-4222-8333-444455556666',
  clientCaCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/1f5c6f8e-1111-4222-8333-444455556666',
};

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

let outdirs: ReturnType<typeof tempDir> | undefined;
afterAll(() => outdirs?.remove());

/** Synthesized offline, without bundling (test/integration/lambda-bundle.test.ts synthesizes with it). */
function synth(context: Json = {}): Template {
  outdirs ??= tempDir('synth');
  const app = new App({
    outdir: join(outdirs.path, String(Math.random()).slice(2)),
    context: { ...SETTINGS, ...context, 'aws:cdk:bundling-stacks': [] },
  });
  return Template.fromStack(buildApp(app));
}

const ROLES = ['Connect', 'Slack', 'Worker', 'Scheduler', 'Alarms'] as const;
const actions = (statement: Statement) => [statement.Action].flat();

/** Every statement granted to the role of the bot function with this construct id. */
function statementsOf(template: Template, role: (typeof ROLES)[number]): Statement[] {
  const [roleId] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
    new RegExp(`^${role}Role[0-9A-F]{8}$`).test(id),
  );
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify((policy.Properties as Json).Roles).includes(`"${roleId}"`))
    .flatMap(
      (policy) => (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
}

/** An AwsCustomResource call, with each reference to another resource written as TOKEN(<logical id>). */
function sdkCall(value: unknown): { parameters: Json } {
  const parts = typeof value === 'string' ? [value] : (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((part) =>
      typeof part === 'string'
        ? part
        : `TOKEN(${JSON.stringify(part).match(/"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z0-9]+)"/)![1]})`,
    )
    .join('');
  return JSON.parse(text) as { parameters: Json };
}

const functionNamed = (template: Template, id: string) => {
  const [resource] = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([logicalId]) => logicalId.startsWith(id))
    .map(([, value]) => value);
  return resource.Properties as {
    FunctionName: string;
    Environment: { Variables: Record<string, unknown> };
    Runtime: string;
    Architectures: string[];
    Timeout: number;
  };
};

describe('the CDK stack, synthesized offline', () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  it('creates the table from tableDefinition: on-demand, point-in-time recovery, TTL, deletion protection, kept on stack delete', () => {
    const definition = tableDefinition('vpn-chatops');
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'vpn-chatops',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: definition.KeySchema,
        AttributeDefinitions: definition.AttributeDefinitions,
        GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('creates both secrets as placeholders, kept on stack delete, with nothing secret in the template', () => {
    for (const name of ['vpn-chatops/ca', 'vpn-chatops/slack']) {
      template.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Retain',
        Properties: {
          Name: name,
          SecretString: Match.absent(),
          GenerateSecretString: {
            SecretStringTemplate: Match.stringLikeRegexp('"vpnChatopsPlaceholder"'),
            GenerateStringKey: 'filler',
          },
        },
      });
    }
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/xox[bpa]-[0-9]|BEGIN [A-Z ]*PRIVATE KEY/);
  });

  it('runs every function on Node.js 24, arm64, with secrets only by name', () => {
    for (const id of ROLES) {
      const fn = functionNamed(template, id);
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
      const variables = fn.Environment.Variables;
      expect(variables.SLACK_SECRET_ID).toBe('vpn-chatops/slack');
      for (const secret of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'])
        expect(variables).not.toHaveProperty(secret);
      // Only the worker and the scheduler know where the CA is.
      expect('CA_SECRET_ID' in variables).toBe(id === 'Worker' || id === 'Scheduler');
    }
  });

  it('names the connect handler AWSClientVPN-<stack> and gives it 30 s, the Client VPN limit', () => {
    const connect = functionNamed(template, 'Connect');
    expect(connect.FunctionName).toBe('AWSClientVPN-vpn-chatops');
    expect(connect.Timeout).toBe(30);
    expect(connect.Environment.Variables).toMatchObject({
      APPROVALS: 'on',
      CERT_DOMAIN: 'vpn.example.com',
      ADMIN_CHANNEL_ID: 'C0123456789',
      ADMIN_SLACK_IDS: 'U0ADMIN1',
    });
  });

  it('serves Slack through a Function URL without IAM auth (the signature is the authentication) and hands jobs to the worker', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Slack'), 'Arn'] },
    });
    expect(functionNamed(template, 'Slack').Environment.Variables.WORKER_FUNCTION_NAME).toBe('vpn-chatops-worker');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^Worker') },
      MaximumRetryAttempts: 0,
    });
  });

  it('runs the daily job from EventBridge Scheduler in the middle of the CRL window', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 4 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      Target: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Scheduler'), 'Arn'] }, Input: '{"task":"daily"}' },
    });
    synth({ botSettings: { CRL_WINDOW: 'Daily 22:00-23:30 UTC' } }).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(45 22 * * ? *)',
    });
  });

  it('runs the offboarding reconcile on a schedule of its own, hourly, so a pass cut short goes on within the hour', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Scheduler'), 'Arn'] },
        Input: '{"task":"offboarding"}',
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    });
  });

  it('attaches the connect handler to the existing endpoint, and detaches it when the stack goes', () => {
    const [attach] = Object.values(template.findResources('Custom::AWS'));
    const calls = attach.Properties as { Create: unknown; Update: unknown; Delete: string };
    const connectId = Object.keys(template.findResources('AWS::Lambda::Function')).find((id) =>
      id.startsWith('Connect'),
    );
    for (const call of [calls.Create, calls.Update]) {
      expect(sdkCall(call)).toMatchObject({
        service: 'EC2',
        action: 'ModifyClientVpnEndpoint',
        parameters: {
          ClientVpnEndpointId: ENDPOINT,
          ClientConnectOptions: { Enabled: true, LambdaFunctionArn: `TOKEN(${connectId})` },
        },
      });
    }
    expect(sdkCall(calls.Delete).parameters).toEqual({
      ClientVpnEndpointId: ENDPOINT,
      ClientConnectOptions: { Enabled: false },
    });
    expect(Object.keys(synth({ attachConnectHandler: false }).findResources('Custom::AWS'))).toEqual([]);
  });

  it('alarms on connect errors and throttles, worker, scheduler and Slack failures, and a CRL with < 14 days, into one topic the notifier reads', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties as Json,
    );
    expect(alarms.map((alarm) => alarm.AlarmName).sort()).toEqual(
      [
        'vpn-chatops-audit-stream-lag',
        'vpn-chatops-authentication-failures',
        'vpn-chatops-connect-errors',
        'vpn-chatops-connect-throttles',
        'vpn-chatops-crl-days-left',
        'vpn-chatops-scheduler-errors',
        'vpn-chatops-slack-errors',
        'vpn-chatops-worker-errors',
      ].sort(),
    );
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
      expect(alarm.OKActions).toEqual(alarm.AlarmActions);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'vpn-chatops-crl-days-left',
      Namespace: 'VpnChatops',
      MetricName: 'CrlDaysLeft',
      Dimensions: [{ Name: 'Function', Value: 'vpn-chatops-scheduler' }],
      Statistic: 'Minimum',
      Threshold: 14,
      ComparisonOperator: 'LessThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'vpn-chatops-authentication-failures',
      Namespace: 'AWS/ClientVPN',
      MetricName: 'AuthenticationFailures',
      Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    synth({ endpoint: undefined, createEndpoint: CREATE }).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'vpn-chatops-authentication-failures',
      Dimensions: [{ Name: 'Endpoint', Value: { Ref: Match.stringLikeRegexp('^Endpoint') } }],
    });
    const withoutEndpoint = synth({ endpoint: 'none' }).findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'AuthenticationFailures' },
    });
    expect(withoutEndpoint).toEqual({});
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'vpn-chatops-connect-throttles',
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^Connect') } }],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Alarms'), 'Arn'] },
    });
    synth({ alarmEmail: 'vpn-admins@example.com' }).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'vpn-admins@example.com',
    });
  });

  it('outputs the request URL for manifest.yml, the endpoint id and the secret names', () => {
    template.hasOutput('SlackRequestUrl', {
      Value: {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^SlackFunctionUrl'), 'FunctionUrl'] }, 'slack/events'],
        ],
      },
    });
    template.hasOutput('EndpointId', { Value: ENDPOINT });
    template.hasOutput('CaSecretName', { Value: 'vpn-chatops/ca' });
    template.hasOutput('SlackSecretName', { Value: 'vpn-chatops/slack' });
  });

  describe('least privilege', () => {
    const endpointArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:ec2:eu-west-1:`,
          { Ref: 'AWS::AccountId' },
          `:client-vpn-endpoint/${ENDPOINT}`,
        ],
      ],
    };
    const caSecret = () => ({
      Ref: Object.keys(template.findResources('AWS::SecretsManager::Secret')).find((id) => id.startsWith('CaSecret')),
    });

    it('lets the connect handler read certificates and read/write approvals, item by item, and nothing of the CA or EC2', () => {
      const statements = statementsOf(template, 'Connect');
      expect(statements.flatMap(actions).filter((action) => action.startsWith('ec2:'))).toEqual([]);
      expect(statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(caSecret()))).toEqual([]);
      const dynamo = statements.filter((s) => actions(s).some((action) => action.startsWith('dynamodb:')));
      expect(
        dynamo.map((s) => [actions(s), (s.Condition?.['ForAllValues:StringLike'] as Json)?.['dynamodb:LeadingKeys']]),
      ).toEqual([
        [['dynamodb:GetItem'], ['CN#*', 'CERT#*', 'APPROVAL#*', 'REMEMBER#*', 'COOLDOWN#*', 'PROMPTS#*']],
        [['dynamodb:BatchGetItem'], ['CN#*', 'CERT#*', 'APPROVAL#*', 'REMEMBER#*', 'COOLDOWN#*']],
        [
          ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
          ['APPROVAL#*', 'APPROVALMSG#*', 'REMEMBER#*', 'PROMPTS#*', 'AUDIT#*', 'IDEMPOTENCY#*', 'SLACKBUDGET#*'],
        ],
      ]);
      // The table itself, no index: the connect path runs no Query.
      for (const statement of dynamo)
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^State/), 'Arn'] });
    });

    it('gives the CA secret and the CRL/session EC2 calls to the worker and the scheduler only, on the endpoint ARN', () => {
      for (const role of ROLES) {
        const statements = statementsOf(template, role);
        const ec2 = statements.filter((s) => actions(s).some((action) => action.startsWith('ec2:')));
        const readsCa = statements.some((s) => JSON.stringify(s.Resource) === JSON.stringify(caSecret()));
        if (role === 'Worker' || role === 'Scheduler') {
          expect(readsCa).toBe(true);
          const onEndpoint = ec2.find((s) =>
            actions(s).includes('ec2:ImportClientVpnClientCertificateRevocationList'),
          )!;
          expect(actions(onEndpoint)).toEqual(
            expect.arrayContaining([
              'ec2:ImportClientVpnClientCertificateRevocationList',
              'ec2:TerminateClientVpnConnections',
              'ec2:ExportClientVpnClientCertificateRevocationList',
              'ec2:DescribeClientVpnConnections',
            ]),
          );
          expect(onEndpoint.Resource).toEqual(endpointArn);
          // DescribeClientVpnConnections needs the client-vpn-endpoint resource type; only listing endpoints has none.
          const regionWide =
            role === 'Worker'
              ? [
                  {
                    Effect: 'Allow',
                    Action: 'ec2:DescribeClientVpnEndpoints',
                    Resource: '*',
                    Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
                  },
                ]
              : [];
          expect(ec2.filter((s) => s !== onEndpoint)).toEqual(regionWide);
        } else {
          expect([role, readsCa, ec2]).toEqual([role, false, []]);
        }
      }
      expect(statementsOf(template, 'Scheduler').flatMap(actions)).not.toContain(
        'ec2:ExportClientVpnClientConfiguration',
      );
    });

    it("never grants a CA secret write, a table scan or a wildcard action, and batch writes only to the CRL publisher's functions", () => {
      const all = ROLES.flatMap((role) => statementsOf(template, role)).flatMap(actions);
      expect(
        all.filter((action) =>
          /^secretsmanager:(Put|Update|Create|Delete)|^dynamodb:(Scan|DeleteTable)|\*/.test(action),
        ),
      ).toEqual([]);
      for (const role of ROLES)
        expect([role, statementsOf(template, role).flatMap(actions).includes('dynamodb:BatchWriteItem')]).toEqual([
          role,
          role === 'Worker' || role === 'Scheduler',
        ]);
    });

    it('uses "*" only for listing Client VPN endpoints, reading metrics and DynamoDB streams, which have no resource type, and only in the Region', () => {
      const wildcard = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap(
          (policy) => (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
        )
        .filter((statement) => [statement.Resource].flat().includes('*'));
      expect(new Set(wildcard.flatMap(actions))).toEqual(
        new Set(['ec2:DescribeClientVpnEndpoints', 'cloudwatch:GetMetricData', 'dynamodb:ListStreams']),
      );
      // Only the worker (doctor's 24 h line, /vpn logs' window) reads the endpoint's AuthenticationFailures.
      for (const role of ROLES)
        expect([role, statementsOf(template, role).flatMap(actions).includes('cloudwatch:GetMetricData')]).toEqual([
          role,
          role === 'Worker',
        ]);
      for (const statement of wildcard)
        expect(statement.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } });
      // Only the worker (which runs /vpn doctor) describes the endpoint and reads its server certificate from ACM.
      for (const role of ROLES) {
        const granted = statementsOf(template, role).flatMap(actions);
        expect(granted.includes('ec2:DescribeClientVpnEndpoints') && granted.includes('acm:DescribeCertificate')).toBe(
          role === 'Worker',
        );
      }
      const [acm] = statementsOf(template, 'Worker').filter((statement) =>
        actions(statement).includes('acm:DescribeCertificate'),
      );
      expect(JSON.stringify(acm.Resource)).toMatch(/:acm:eu-west-1:",\{"Ref":"AWS::AccountId"\},":certificate\/\*"/);
      const attach = Object.values(template.findResources('AWS::IAM::Policy')).find((policy) =>
        JSON.stringify(policy).includes('ec2:ModifyClientVpnEndpoint'),
      )!;
      expect((attach.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Action: 'ec2:ModifyClientVpnEndpoint', Resource: endpointArn },
      ]);
    });

    it('writes logs only to each function\'s own log group, without the managed policy and its "*"', () => {
      for (const role of ROLES) {
        const logs = statementsOf(template, role).filter((s) =>
          actions(s).some((action) => action.startsWith('logs:')),
        );
        expect(logs).toEqual([
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${role}Logs`)), 'Arn'] },
          },
        ]);
      }
      const botRoles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) =>
        ROLES.some((role) => new RegExp(`^${role}Role[0-9A-F]{8}$`).test(id)),
      );
      expect(botRoles).toHaveLength(ROLES.length);
      for (const [, role] of botRoles) expect((role.Properties as Json).ManagedPolicyArns).toBeUndefined();
    });
  });

  it('keeps concurrency for the Slack function alone, so a storm of connect handlers cannot starve the 👍 path', () => {
    const reserved = (t: Template) =>
      (functionNamed(t, 'Slack') as unknown as { ReservedConcurrentExecutions?: number }).ReservedConcurrentExecutions;
    expect(reserved(template)).toBe(10);
    expect(reserved(synth({ slackReservedConcurrency: 12 }))).toBe(12);
    expect(reserved(synth({ slackReservedConcurrency: 0 }))).toBeUndefined();
    for (const id of ROLES.filter((role) => role !== 'Slack'))
      expect([
        id,
        (functionNamed(template, id) as unknown as { ReservedConcurrentExecutions?: number })
          .ReservedConcurrentExecutions,
      ]).toEqual([id, undefined]);
  });

  it('with provisioned concurrency, attaches an alias that keeps that many handlers warm', () => {
    const warm = synth({ connectProvisionedConcurrency: 3 });
    warm.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 3 },
    });
    const [attach] = Object.values(warm.findResources('Custom::AWS'));
    expect(sdkCall((attach.Properties as Json).Create).parameters.ClientConnectOptions).toEqual({
      Enabled: true,
      LambdaFunctionArn: expect.stringMatching(/^TOKEN\(ConnectLive[0-9A-F]{8}\)$/),
    });
  });

  it('creates an endpoint with mutual authentication, connection logs and the connect handler when asked to', () => {
    const created = synth({ endpoint: undefined, createEndpoint: CREATE });
    created.hasResourceProperties('AWS::EC2::ClientVpnEndpoint', {
      AuthenticationOptions: [
        {
          Type: 'certificate-authentication',
          MutualAuthentication: { ClientRootCertificateChainArn: CREATE.clientCaCertificateArn },
        },
      ],
      ServerCertificateArn: CREATE.serverCertificateArn,
      ClientCidrBlock: '10.100.0.0/22',
      ConnectionLogOptions: { Enabled: true, CloudwatchLogGroup: { Ref: Match.stringLikeRegexp('^ConnectionLogs') } },
      ClientConnectOptions: {
        Enabled: true,
        LambdaFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Connect'), 'Arn'] },
      },
      VpcId: CREATE.vpcId,
      SplitTunnel: true,
    });
    created.resourceCountIs('AWS::EC2::ClientVpnTargetNetworkAssociation', 2);
    // VPN clients reach the VPC from the endpoint's security group: the output names it for the VPC's own rules.
    const [groupId] = Object.keys(created.findResources('AWS::EC2::SecurityGroup'));
    created.hasResourceProperties('AWS::EC2::ClientVpnEndpoint', {
      SecurityGroupIds: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }],
    });
    created.hasOutput('EndpointSecurityGroupId', { Value: { 'Fn::GetAtt': [groupId, 'GroupId'] } });
    expect(template.findOutputs('EndpointSecurityGroupId')).toEqual({});
    created.hasResourceProperties('AWS::EC2::ClientVpnAuthorizationRule', {
      TargetNetworkCidr: '10.0.0.0/16',
      AuthorizeAllGroups: true,
    });
    expect(Object.keys(created.findResources('Custom::AWS'))).toEqual([]);
    // The functions and their IAM follow the new endpoint's id.
    expect(JSON.stringify(functionNamed(created, 'Worker').Environment.Variables.VPN_ENDPOINTS)).toContain(
      '{"Ref":"Endpoint',
    );
    expect(JSON.stringify(statementsOf(created, 'Worker'))).toMatch(/:client-vpn-endpoint\/",\{"Ref":"Endpoint/);
    // /vpn logs (the worker) and the 15-minute flood watch (the scheduler) know the connection log group and may
    // read that group, and only they may.
    expect(JSON.stringify(functionNamed(created, 'Worker').Environment.Variables.VPN_ENDPOINTS)).toMatch(
      /\\"logGroup\\":\\"",\{"Ref":"ConnectionLogs/,
    );
    for (const reader of ['Worker', 'Scheduler'] as const) {
      const reads = statementsOf(created, reader).filter((statement) =>
        actions(statement).includes('logs:FilterLogEvents'),
      );
      expect(reads).toHaveLength(1);
      expect(actions(reads[0])).toEqual(['logs:FilterLogEvents']);
      expect(JSON.stringify(reads[0].Resource)).toMatch(/:log-group:",\{"Ref":"ConnectionLogs[0-9A-F]+"\}\]/);
    }
    for (const role of ROLES.filter((name) => name !== 'Worker' && name !== 'Scheduler'))
      expect(statementsOf(created, role).flatMap(actions)).not.toContain('logs:FilterLogEvents');
    // A created endpoint's server certificate is known: doctor reads exactly that one.
    const [acm] = statementsOf(created, 'Worker').filter((statement) =>
      actions(statement).includes('acm:DescribeCertificate'),
    );
    expect(acm.Resource).toBe(CREATE.serverCertificateArn);
  });

  it("lets the worker read an existing endpoint's connection log when its group is named, and nothing of CloudWatch Logs otherwise", () => {
    const named = synth({ connectionLogGroup: '/aws/clientvpn/connections' });
    expect(JSON.parse(functionNamed(named, 'Worker').Environment.Variables.VPN_ENDPOINTS as string)).toEqual([
      { type: 'aws-client-vpn', id: ENDPOINT, region: 'eu-west-1', logGroup: '/aws/clientvpn/connections' },
    ]);
    const [read] = statementsOf(named, 'Worker').filter((statement) =>
      actions(statement).includes('logs:FilterLogEvents'),
    );
    expect(JSON.stringify(read.Resource)).toContain(':log-group:/aws/clientvpn/connections:*');
    expect(statementsOf(template, 'Worker').flatMap(actions)).not.toContain('logs:FilterLogEvents');
    expect(() => synth({ connectionLogGroup: 'no spaces allowed' })).toThrow(
      /connectionLogGroup[^]*CloudWatch Logs group name/,
    );
  });

  it('deploys the bot without an endpoint ("none"), with no EC2 access at all, for a new endpoint\'s first step', () => {
    const first = synth({ endpoint: 'none' });
    expect(Object.keys(first.findResources('Custom::AWS'))).toEqual([]);
    for (const role of ROLES)
      expect(
        statementsOf(first, role)
          .flatMap(actions)
          .filter((action) => action.startsWith('ec2:')),
      ).toEqual([]);
    expect(functionNamed(first, 'Worker').Environment.Variables.VPN_ENDPOINTS).toBe('[]');
    first.hasOutput('EndpointId', { Value: 'none' });
  });

  it('adopts the table and secrets a deleted stack left behind, instead of creating new ones', () => {
    const again = synth({ reuseRetained: true });
    again.resourceCountIs('AWS::DynamoDB::Table', 0);
    again.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(functionNamed(again, 'Worker').Environment.Variables).toMatchObject({
      TABLE_NAME: 'vpn-chatops',
      CA_SECRET_ID: 'vpn-chatops/ca',
    });
    expect(JSON.stringify(statementsOf(again, 'Worker'))).toContain(':secret:vpn-chatops/ca-??????');
    expect(JSON.stringify(statementsOf(again, 'Worker'))).toContain(':table/vpn-chatops');
  });
});
