import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { agentTableGrants } from '../../infra/agent-role';
import { buildApp } from '../../infra/bin/app';
import { agentOperations } from '../../infra/operations';
import { tempDir } from '../helpers/tools';

const SETTINGS = {
  region: 'eu-west-1',
  domain: 'vpn.example.com',
  endpoint: 'none',
  adminChannelId: 'C0123456789',
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

function synth(context: Json = {}): { app: App; template: Template } {
  outdirs ??= tempDir('synth-agent');
  const app = new App({
    outdir: join(outdirs.path, String(Math.random()).slice(2)),
    context: { ...SETTINGS, ...context, 'aws:cdk:bundling-stacks': [] },
  });
  return { app, template: Template.fromStack(buildApp(app)) };
}

const server = (name: string) => ({
  name,
  management: '127.0.0.1:7505',
  crlFile: `/etc/openvpn/server/${name}/crl.pem`,
  remote: `${name}.vpn.example.com 1194 udp`,
});

const agentRoleIds = (template: Template) =>
  Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => /^AgentRole[0-9A-F]{8}$/.test(id));

describe('the agent identity (-c agentRole=true)', () => {
  const { app, template } = synth({
    agentRole: 'true',
    agentEndpoints: JSON.stringify([server('office'), server('lab')]),
  });
  const grants = agentTableGrants(['openvpn:office', 'openvpn:lab']);
  const [roleId] = agentRoleIds(template);
  const role = template.findResources('AWS::IAM::Role')[roleId].Properties as {
    Policies: { PolicyDocument: { Statement: Statement[] } }[];
    AssumeRolePolicyDocument: { Statement: Statement[] };
  };
  const statements = role.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
  const tableArn = { 'Fn::GetAtt': [expect.stringMatching(/^State/), 'Arn'] };

  it('is absent unless asked for', () => {
    expect(agentRoleIds(synth().template)).toEqual([]);
    expect(roleId).toBeDefined();
  });

  it('grants exactly the table actions the agent sends, on the table alone, no index, no "*" anywhere', () => {
    expect(statements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Resource).toEqual(tableArn);
    }
    expect(JSON.stringify(statements)).not.toMatch(/"dynamodb:\*"|"\*"|\/index\//);
    // Nothing but the table: no other policy is attached to the role.
    const attached = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify((policy.Properties as Json).Roles).includes(`"${roleId}"`),
    );
    expect(attached).toEqual([]);
    expect((role as Json).ManagedPolicyArns).toBeUndefined();
  });

  it('is what docs/self-hosted.md gives as the policy to write by hand, for its endpoint office', () => {
    const doc = readFileSync(join(__dirname, '../../docs/self-hosted.md'), 'utf8');
    const policy = JSON.parse(/```json\n(\{\n {2}"Version"[\s\S]*?)```/.exec(doc)![1]) as { Statement: Statement[] };
    const onlyOffice = synth({ agentRole: 'true', agentEndpoints: JSON.stringify([server('office')]) }).template;
    const [officeRoleId] = agentRoleIds(onlyOffice);
    const officeRole = onlyOffice.findResources('AWS::IAM::Role')[officeRoleId].Properties as {
      Policies: { PolicyDocument: { Statement: Statement[] } }[];
    };
    const leadingKeys = (statements: Statement[]) =>
      statements.map((statement) => [
        statement.Action,
        (statement.Condition?.['ForAllValues:StringLike'] as Json)['dynamodb:LeadingKeys'],
      ]);
    expect(leadingKeys(policy.Statement)).toEqual(
      leadingKeys(officeRole.Policies.flatMap((each) => each.PolicyDocument.Statement)),
    );
    expect(leadingKeys(policy.Statement)).toEqual(
      agentTableGrants(['openvpn:office']).map(({ action, keys }) => [action, keys]),
    );
  });

  it("grants exactly the actions the agent's store calls send (infra/operations.ts, src/adapters/sends.ts)", () => {
    const granted = [...new Set(grants.map(({ action }) => action))].sort();
    expect(granted).toEqual(agentOperations().sort());
  });

  it('limits every action to the partitions it needs with dynamodb:LeadingKeys, never a certificate write or the CA', () => {
    expect(
      statements.map((statement) => [
        statement.Action,
        (statement.Condition?.['ForAllValues:StringLike'] as Json)?.['dynamodb:LeadingKeys'],
      ]),
    ).toEqual(grants.map(({ action, keys }) => [action, keys]));
    for (const statement of statements)
      expect(Object.keys(statement.Condition ?? {})).toEqual(['ForAllValues:StringLike']);
    const reads = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
    const writes = statements.filter((statement) => !reads.includes(statement.Action as string));
    const written = writes.flatMap(
      (statement) => (statement.Condition!['ForAllValues:StringLike'] as Json)['dynamodb:LeadingKeys'] as string[],
    );
    // Certificates, CN claims, the CRL counter and revocations are the bot's: the agent cannot un-revoke anyone.
    // Nor the publisher's per-endpoint records and lease (ENDPOINT#), nor the CRLs it publishes (AGENT-CRL#).
    for (const prefix of ['CERT#*', 'CN#*', 'SLOT#*', 'CA#*', 'ENDPOINT#*', 'AGENT-CRL#*'])
      expect(written).not.toContain(prefix);
    expect(JSON.stringify(statements)).not.toMatch(/secretsmanager|kms|lambda|ec2:/);
  });

  it("names each listed endpoint's own partitions exactly, and no other endpoint's", () => {
    const keysOf = (action: string) =>
      (statements.find((statement) => statement.Action === action)!.Condition!['ForAllValues:StringLike'] as Json)[
        'dynamodb:LeadingKeys'
      ] as string[];
    const own = (action: string) =>
      keysOf(action).filter((key) => /^(AGENT-CRL|KILLS|AGENT-ENDPOINT|SHIPPED)#/.test(key));
    expect(own('dynamodb:GetItem')).toEqual(['AGENT-CRL#openvpn:office', 'AGENT-CRL#openvpn:lab']);
    expect(own('dynamodb:Query')).toEqual([
      'AGENT-CRL#openvpn:office',
      'AGENT-CRL#openvpn:lab',
      'KILLS#openvpn:office',
      'KILLS#openvpn:lab',
    ]);
    expect(own('dynamodb:PutItem')).toEqual([
      'AGENT-ENDPOINT#openvpn:office',
      'AGENT-ENDPOINT#openvpn:lab',
      'SHIPPED#openvpn:office',
      'SHIPPED#openvpn:lab',
    ]);
    expect(own('dynamodb:UpdateItem')).toEqual(['KILLS#openvpn:office', 'KILLS#openvpn:lab']);
    expect(own('dynamodb:DeleteItem')).toEqual([
      'KILLS#openvpn:office',
      'KILLS#openvpn:lab',
      'AGENT-ENDPOINT#openvpn:office',
      'AGENT-ENDPOINT#openvpn:lab',
    ]);
    // A wildcard is left only on partitions every endpoint shares: the login decision's and the heartbeats'.
    expect(JSON.stringify(statements)).not.toMatch(/"(AGENT-CRL|KILLS|AGENT-ENDPOINT|SHIPPED)#[^"]*\*/);
  });

  it('keeps an endpoint name literal: IAM wildcards and variables in it match only themselves', () => {
    expect(
      agentTableGrants(['openvpn:a*b?c${aws:username}']).find((grant) => grant.action === 'dynamodb:Query')!.keys,
    ).toEqual(['AGENT-CRL#openvpn:a${*}b${?}c${$}{aws:username}', 'KILLS#openvpn:a${*}b${?}c${$}{aws:username}']);
  });

  it('is refused at synth time without agentEndpoints: there would be no endpoint for it to serve', () => {
    expect(() => synth({ agentRole: 'true' })).toThrow(/agentEndpoints: missing, but agentRole is true/);
  });

  it('is taken by an EC2 instance through its profile, or assumed within the account, and its ARN is an output', () => {
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' } },
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] },
        },
      },
    ]);
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: roleId }] });
    template.hasOutput('AgentRoleArn', { Value: { 'Fn::GetAtt': [roleId, 'Arn'] } });
  });

  it('leaves cdk-nag (AwsSolutions) nothing to report', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});

describe('one agent role per agentHost', () => {
  const { app, template } = synth({
    agentRole: 'true',
    agentEndpoints: JSON.stringify([
      { ...server('office'), agentHost: 'vpn1' },
      { ...server('lab'), agentHost: 'vpn2' },
      { ...server('annex'), agentHost: 'vpn1' },
      server('shared'),
    ]),
  });
  const statementsOf = (role: { Properties: Json }) =>
    (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
      (policy) => policy.PolicyDocument.Statement,
    );
  const leadingKeys = (statements: Statement[]) =>
    statements.map((statement) => [
      statement.Action,
      (statement.Condition?.['ForAllValues:StringLike'] as Json)['dynamodb:LeadingKeys'],
    ]);

  it("gives each host a role that names only its own endpoints' partitions, and the rest the shared role", () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role'))
      .filter(([id]) => /^Agent\w*Role[0-9A-F]{8}$/.test(id))
      .map(([id, role]) => [id.slice(0, -8), leadingKeys(statementsOf(role as { Properties: Json }))]);
    const grants = (...names: string[]) =>
      agentTableGrants(names.map((name) => `openvpn:${name}`)).map(({ action, keys }) => [action, keys]);
    expect(roles.sort()).toEqual([
      ['AgentRole', grants('shared')],
      ['Agentvpn1Role', grants('office', 'annex')],
      ['Agentvpn2Role', grants('lab')],
    ]);
    for (const host of ['', 'vpn1', 'vpn2']) {
      template.hasOutput(`Agent${host}RoleArn`, {
        Value: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^Agent${host}Role[0-9A-F]{8}$`), 'Arn'] },
      });
      template.hasOutput(`Agent${host}InstanceProfileName`, {
        Value: { Ref: Match.stringLikeRegexp(`^Agent${host}InstanceProfile[0-9A-F]{8}$`) },
      });
    }
  });

  it('keeps the logical ids of the role an existing stack has when no endpoint names a host', () => {
    const single = synth({ agentRole: 'true', agentEndpoints: JSON.stringify([server('office')]) }).template;
    expect(agentRoleIds(single)).toEqual(['AgentRoleF4A42D6B']);
    single.hasOutput('AgentRoleArn', { Value: { 'Fn::GetAtt': ['AgentRoleF4A42D6B', 'Arn'] } });
    single.hasOutput('AgentInstanceProfileName', { Value: { Ref: 'AgentInstanceProfileD6F8E0D8' } });
  });

  it("keeps agentHost out of the functions' VPN_ENDPOINTS: which host serves an endpoint is the deployment's", () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn.Properties as { Environment?: { Variables?: Json } }).Environment?.Variables?.VPN_ENDPOINTS,
    );
    expect(functions.filter(Boolean).length).toBeGreaterThan(0);
    expect(JSON.stringify(functions)).not.toMatch(/agentHost/);
  });

  it('refuses an agentHost that is not 1 to 32 letters and digits, before synthesizing anything', () => {
    for (const agentHost of ['vpn-1', '', 'x'.repeat(33), 7])
      expect(() =>
        synth({ agentRole: 'true', agentEndpoints: JSON.stringify([{ ...server('office'), agentHost }]) }),
      ).toThrow(/agentEndpoints\.0\.agentHost: must be 1 to 32 letters and digits/);
  });

  it('leaves cdk-nag (AwsSolutions) nothing to report', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});

describe('the five-minute agent check', () => {
  it('invokes the scheduler function with {"task": "agents"} every 5 minutes, through the daily schedule\'s role', () => {
    const { template } = synth();
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).map(
      (schedule) =>
        schedule.Properties as {
          ScheduleExpression: string;
          Target: { Input: string; RoleArn: unknown; Arn: unknown };
        },
    );
    const check = schedules.find((schedule) => schedule.Target.Input === '{"task":"agents"}')!;
    const daily = schedules.find((schedule) => schedule.Target.Input === '{"task":"daily"}')!;
    expect(check.ScheduleExpression).toBe('rate(5 minutes)');
    expect(check.Target.Arn).toEqual(daily.Target.Arn);
    expect(check.Target.RoleArn).toEqual(daily.Target.RoleArn);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'vpn-chatops-agent-check',
      Target: Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }) }),
    });
  });
});

describe('agent-served endpoints on AWS (-c agentEndpoints=[…])', () => {
  const office = {
    name: 'office',
    management: '127.0.0.1:7505',
    crlFile: '/etc/openvpn/server/crl/crl.pem',
    remote: 'vpn.example.com 1194 udp',
  };
  const endpointsOf = (template: Template, id: string) => {
    const [fn] = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([logicalId]) => new RegExp(`^${id}[0-9A-F]{8}$`).test(logicalId))
      .map(([, value]) => value.Properties as { Environment: { Variables: Record<string, unknown> } });
    return fn.Environment.Variables.VPN_ENDPOINTS;
  };

  it('hands the worker and the scheduler each server as an openvpn endpoint served by an agent', () => {
    const { template } = synth({ agentEndpoints: JSON.stringify([office]) });
    for (const id of ['Worker', 'Scheduler'])
      expect(JSON.parse(endpointsOf(template, id) as string)).toEqual([
        { ...office, type: 'openvpn', servedBy: 'agent' },
      ]);
  });

  it('with a tls-crypt-v2 server, keeps its key in a secret of its own that only the worker, which issues, may read', () => {
    const { template } = synth({
      agentRole: 'true',
      agentEndpoints: JSON.stringify([{ ...office, tlsCryptV2ServerKeyFile: '/etc/openvpn/server/tc2-server.key' }]),
    });
    const secrets = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const [secretId] = secrets.filter((id) => /^TlsCryptV2Secret[0-9A-F]{8}$/.test(id));
    expect(template.toJSON().Resources[secretId].Properties.Name).toBe('vpn-chatops/tls-crypt-v2');
    const onSecret = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => {
        const { Roles, PolicyDocument } = policy.Properties as {
          Roles: { Ref: string }[];
          PolicyDocument: { Statement: Statement[] };
        };
        return PolicyDocument.Statement.filter((statement) =>
          JSON.stringify(statement.Resource).includes(`"${secretId}"`),
        ).map((statement) => [Roles.map((role) => role.Ref.replace(/[0-9A-F]{8}$/, '')), statement.Action]);
      })
      .sort();
    expect(onSecret).toEqual([[['WorkerRole'], ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']]]);
    // The agent role never reads it: the host has its own file, and vpnctl imports with an operator's credentials.
    const agentRole = template.findResources('AWS::IAM::Role')[agentRoleIds(template)[0]];
    expect(JSON.stringify(agentRole)).not.toMatch(/secretsmanager|TlsCryptV2Secret/);
    const environment = (id: string) => {
      const [fn] = Object.entries(template.findResources('AWS::Lambda::Function'))
        .filter(([logicalId]) => new RegExp(`^${id}[0-9A-F]{8}$`).test(logicalId))
        .map(([, value]) => value.Properties as { Environment: { Variables: Record<string, unknown> } });
      return fn.Environment.Variables;
    };
    expect(environment('Worker').TLS_CRYPT_V2_SECRET_ID).toBe('vpn-chatops/tls-crypt-v2');
    for (const id of ['Scheduler', 'Slack', 'Connect']) expect(environment(id).TLS_CRYPT_V2_SECRET_ID).toBeUndefined();

    const without = synth({ agentEndpoints: JSON.stringify([office]) }).template;
    expect(Object.keys(without.findResources('AWS::SecretsManager::Secret')).sort()).toEqual([
      expect.stringMatching(/^CaSecret/),
      expect.stringMatching(/^SlackSecret/),
    ]);
  });

  it('refuses at synth time what the bot would refuse at its first run', () => {
    expect(() => synth({ agentEndpoints: JSON.stringify([{ ...office, management: '10.0.0.5:7505' }]) })).toThrow(
      /Invalid botSettings or agentEndpoints: .*management/s,
    );
    expect(() => synth({ agentEndpoints: '{"name": "office"}' })).toThrow(/agentEndpoints: must be a list/);
  });
});
