import { join } from 'node:path';
import { build } from 'esbuild';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/bin/app';
import { Reach, Target, operationsOf } from '../../infra/operations';
import { LAMBDA_BUNDLE_OPTIONS, LAMBDA_ENTRIES, LambdaName } from '../../infra/lambda-bundling';
import { tempDir } from '../helpers/tools';

const SETTINGS = {
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

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const VARIANTS: [string, Record<string, unknown>, Reach][] = [
  ['an existing endpoint', {}, { endpoint: true, connectionLog: false }],
  [
    'an existing endpoint with its connection log',
    { connectionLogGroup: '/aws/clientvpn/connections' },
    { endpoint: true, connectionLog: true },
  ],
  ['a created endpoint', { endpoint: undefined, createEndpoint: CREATE }, { endpoint: true, connectionLog: true }],
  ['no endpoint yet', { endpoint: 'none' }, { endpoint: false, connectionLog: false }],
  [
    'a tls-crypt-v2 server among agentEndpoints',
    {
      agentEndpoints: JSON.stringify([
        {
          name: 'office',
          management: '127.0.0.1:7505',
          crlFile: '/etc/openvpn/server/crl/crl.pem',
          remote: 'vpn.example.com 1194 udp',
          tlsCryptV2ServerKeyFile: '/etc/openvpn/server/tc2-server.key',
        },
      ]),
    },
    { endpoint: true, connectionLog: false, tlsCryptV2: true },
  ],
];

let outdirs: ReturnType<typeof tempDir> | undefined;
afterAll(() => outdirs?.remove());

function synth(context: Record<string, unknown>): Template {
  outdirs ??= tempDir('synth-operations');
  const app = new App({
    outdir: join(outdirs.path, String(Math.random()).slice(2)),
    context: { ...SETTINGS, ...context, 'aws:cdk:bundling-stacks': [] },
  });
  return Template.fromStack(buildApp(app));
}

const idOf = (name: LambdaName) => name[0].toUpperCase() + name.slice(1);

function statementsOf(template: Template, name: LambdaName): Statement[] {
  const [roleId] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
    new RegExp(`^${idOf(name)}Role[0-9A-F]{8}$`).test(id),
  );
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify((policy.Properties as { Roles: unknown }).Roles).includes(`"${roleId}"`))
    .flatMap(
      (policy) => (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
}

/** IAM's action matching: case-insensitive, `*` and `?` wildcards. */
const matchesAction = (pattern: string, action: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  ).test(action);

/** Each kind of resource as it appears in the template; `*` passes only where IAM offers nothing narrower. */
const TARGETS: Record<Target, (resource: string) => boolean> = {
  table: (r) => /^\{"Fn::GetAtt":\["State[0-9A-F]{8}","Arn"\]\}$/.test(r),
  tableIndexes: (r) => /"Fn::GetAtt":\["State[0-9A-F]{8}","Arn"\]\},"\/index\/\*"/.test(r),
  caSecret: (r) => /^\{"Ref":"CaSecret[0-9A-F]{8}"\}$/.test(r),
  slackSecret: (r) => /^\{"Ref":"SlackSecret[0-9A-F]{8}"\}$/.test(r),
  tlsCryptV2Secret: (r) => /^\{"Ref":"TlsCryptV2Secret[0-9A-F]{8}"\}$/.test(r),
  endpoint: (r) => /:client-vpn-endpoint\/(cvpn-endpoint-0123456789abcdef0"|",\{"Ref":"Endpoint)/.test(r),
  region: (r) => r === '"*"',
  serverCertificate: (r) =>
    r === JSON.stringify(CREATE.serverCertificateArn) ||
    /:acm:eu-west-1:",\{"Ref":"AWS::AccountId"\},":certificate\/\*"/.test(r),
  connectionLog: (r) =>
    /:log-group:(\/aws\/clientvpn\/connections:\*|",\{"Ref":"ConnectionLogs[0-9A-F]{8}"\},":\*")/.test(r),
  // The worker invokes itself by name: its own ARN would make its role's policy and the function depend on each other.
  workerFunction: (r) =>
    /^\{"Fn::GetAtt":\["Worker[0-9A-F]{8}","Arn"\]\}$/.test(r) ||
    /:lambda:eu-west-1:",\{"Ref":"AWS::AccountId"\},":function:vpn-chatops-worker"\]\]\}$/.test(r),
  auditBus: (r) => /^\{"Fn::GetAtt":\["AuditBus[0-9A-F]{8}","Arn"\]\}$/.test(r),
};

describe("each function's role grants every AWS request its code can send", () => {
  describe.each(VARIANTS)('with %s', (_variant, context, reach) => {
    let template: Template;
    beforeAll(() => {
      template = synth(context);
    });

    it.each(Object.keys(LAMBDA_ENTRIES) as LambdaName[])('%s', (name) => {
      const statements = statementsOf(template, name).filter((statement) => statement.Effect === 'Allow');
      const missing = operationsOf(name, reach).filter(
        ([target, action]) =>
          !statements.some(
            (statement) =>
              [statement.Action].flat().some((pattern) => matchesAction(pattern, action)) &&
              [statement.Resource].flat().some((resource) => TARGETS[target](JSON.stringify(resource))),
          ),
      );
      expect(missing.map(([target, action]) => `${action} on ${target}`)).toEqual([]);
    });

    it.each(Object.keys(LAMBDA_ENTRIES) as LambdaName[])('%s: no table action its code never sends', (name) => {
      const sends = new Set(operationsOf(name, reach).map(([, action]) => action));
      const granted = statementsOf(template, name)
        .filter((statement) => statement.Effect === 'Allow')
        .filter((statement) => [statement.Resource].flat().some((resource) => TARGETS.table(JSON.stringify(resource))))
        .flatMap((statement) => [statement.Action].flat());
      expect([...new Set(granted)].filter((action) => !sends.has(action))).toEqual([]);
    });
  });

  /**
   * What the map says a function reaches, checked against what its bundle holds: a module that sends a request
   * in a function's bundle means the map must list that request for it (the publisher is the only caller of
   * importMany, and so of BatchWriteItem).
   */
  it.each(Object.keys(LAMBDA_ENTRIES) as LambdaName[])(
    '%s: every AWS-calling module in its bundle is reflected in its map',
    async (name) => {
      const SIGNS: [string, string][] = [
        ['src/services/publish-crl.ts', 'dynamodb:BatchWriteItem'],
        ['src/adapters/aws-client-vpn/endpoint.ts', 'ec2:ImportClientVpnClientCertificateRevocationList'],
        ['src/adapters/secrets-manager/ca-store.ts', 'secretsmanager:GetSecretValue'],
        ['src/adapters/secrets-manager/slack-secret.ts', 'secretsmanager:GetSecretValue'],
        ['src/adapters/secrets-manager/tls-crypt-v2-keys.ts', 'secretsmanager:GetSecretValue'],
        ['src/adapters/cloudwatch-logs/connection-log.ts', 'logs:FilterLogEvents'],
        ['src/adapters/cloudwatch-metrics/client.ts', 'cloudwatch:GetMetricData'],
        ['src/adapters/aws-lambda/job-queue.ts', 'lambda:InvokeFunction'],
        ['src/adapters/dynamodb/certificate-store.ts', 'dynamodb:GetItem'],
      ];
      const { metafile } = await build({
        ...LAMBDA_BUNDLE_OPTIONS,
        minify: false,
        entryPoints: [LAMBDA_ENTRIES[name]],
        write: false,
        outfile: `${name}.js`,
        metafile: true,
        logLevel: 'silent',
      });
      const bundled = new Set(Object.keys(metafile.inputs));
      const sends = new Set(operationsOf(name, { endpoint: true, connectionLog: true }).map(([, action]) => action));
      // The scheduler builds the worker's VpnAdmin, which holds the metrics reader; only doctor (a worker job) reads it.
      const heldNotCalled: Partial<Record<LambdaName, string[]>> = {
        scheduler: ['src/adapters/cloudwatch-metrics/client.ts'],
      };
      const unlisted = SIGNS.filter(
        ([module, action]) => bundled.has(module) && !sends.has(action) && !heldNotCalled[name]?.includes(module),
      );
      expect(unlisted).toEqual([]);
      // And the other way for the publisher: a function without it is not granted batch writes.
      expect(bundled.has('src/services/publish-crl.ts')).toBe(sends.has('dynamodb:BatchWriteItem'));
    },
  );

  it('knows what each function sends (the map is not empty where the code calls AWS)', () => {
    const reach = { endpoint: true, connectionLog: true };
    expect(operationsOf('worker', reach).map(([, action]) => action)).toEqual(
      expect.arrayContaining([
        'dynamodb:BatchWriteItem',
        'ec2:ImportClientVpnClientCertificateRevocationList',
        'logs:FilterLogEvents',
        'secretsmanager:GetSecretValue',
      ]),
    );
    expect(operationsOf('scheduler', reach).map(([, action]) => action)).toContain('dynamodb:BatchWriteItem');
    expect(operationsOf('slack', reach).map(([, action]) => action)).toEqual(
      expect.arrayContaining(['lambda:InvokeFunction', 'dynamodb:Query']),
    );
  });
});
