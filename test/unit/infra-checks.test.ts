import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../infra/bin/app';
import { LAMBDA_ENTRIES } from '../../infra/lambda-bundling';
import { describeWith, run, tempDir } from '../helpers/tools';

const SETTINGS = {
  region: 'eu-west-1',
  domain: 'vpn.example.com',
  endpoint: 'cvpn-endpoint-0123456789abcdef0',
  adminChannelId: 'C0123456789',
};
const CREATE = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  vpcCidr: '10.0.0.0/16',
  clientCidr: '10.100.0.0/22',
  serverCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f5c6f8e-1111-4222-8333-444455556666',
  dnsServers: ['10.0.0.2'],
};

/** Every shape the stack takes: attach to an existing endpoint, create one, none yet, and the options. */
const VARIANTS: [string, Record<string, unknown>][] = [
  ['existing-endpoint', {}],
  ['created-endpoint', { endpoint: undefined, createEndpoint: CREATE }],
  ['no-endpoint', { endpoint: 'none' }],
  [
    'options',
    {
      connectProvisionedConcurrency: 2,
      approvals: 'off',
      attachConnectHandler: false,
      connectionLogGroup: '/aws/clientvpn/connections',
      alarmEmail: 'vpn-admins@example.com',
      reuseRetained: true,
      agentRole: true,
      agentEndpoints: [
        {
          name: 'office',
          management: '127.0.0.1:7505',
          crlFile: '/etc/openvpn/server/crl/crl.pem',
          remote: 'vpn.example.com 1194 udp',
        },
        // A host with a role of its own beside the shared one.
        {
          name: 'lab',
          management: '127.0.0.1:7506',
          crlFile: '/etc/openvpn/server/lab/crl.pem',
          remote: 'lab.vpn.example.com 1194 udp',
          agentHost: 'vpn2',
        },
      ],
      adminUsergroupId: 'S0123456789',
      botSettings: { CRL_PUBLISH_MODE: 'window', CRL_WINDOW: 'Sun 03:00-05:00 UTC' },
    },
  ],
];

const CFN_LINT = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8', timeout: 60_000 }).status === 0;

let outdirs: ReturnType<typeof tempDir>;
const built = new Map<string, { app: App; template: Record<string, unknown> }>();

beforeAll(() => {
  outdirs = tempDir('synth-checks');
  for (const [name, context] of VARIANTS) {
    const app = new App({
      outdir: join(outdirs.path, name),
      context: { ...SETTINGS, ...context, 'aws:cdk:bundling-stacks': [] },
    });
    // Synthesis runs the cdk-nag plugin buildApp registers, and throws on any unacknowledged finding.
    built.set(name, { app, template: Template.fromStack(buildApp(app)).toJSON() });
  }
});
afterAll(() => outdirs?.remove());

describe('cdk-nag (AwsSolutions) on every synthesized variant', () => {
  it.each(VARIANTS.map(([name]) => name))('%s: no finding is left unacknowledged', (name) => {
    const report = new AwsSolutionsChecks().validateScope(built.get(name)!.app);
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('fails the synthesis of the real app on a new finding, so `cdk synth` and `cdk deploy` cannot ship one', () => {
    const app = new App({
      outdir: join(outdirs.path, 'finding'),
      context: { ...SETTINGS, 'aws:cdk:bundling-stacks': [] },
    });
    const stack = buildApp(app);
    new Topic(stack, 'PlainTopic');
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
  });

  it('acknowledges a wildcard by its exact resource, not the whole rule', () => {
    const acknowledged = (
      built
        .get('existing-endpoint')!
        .app.node.findAll()
        .flatMap((construct) => construct.node.metadata) as { type: string; data: Record<string, unknown> }[]
    )
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.keys(entry.data));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const id of acknowledged) expect(id).not.toMatch(/IAM5$/);
  });
});

describeWith(
  { 'cfn-lint (Python 3.11; .ci/run checks for it)': CFN_LINT },
  'cfn-lint on every synthesized variant',
  () => {
    it('finds nothing to report', async () => {
      const files = VARIANTS.map(([name]) => {
        const file = join(outdirs.path, `${name}.template.json`);
        writeFileSync(file, JSON.stringify(built.get(name)!.template));
        return file;
      });
      // W3005: CDK makes each function DependsOn its role as well as reading the role's ARN, so that the
      // function is created after its permissions; cfn-lint flags the redundant half. Nothing else is ignored.
      const result = await run('cfn-lint', ['--format', 'json', '--ignore-checks', 'W3005', '--', ...files], {
        timeoutMs: 120_000,
      });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout || '[]')).toEqual([]);
      expect(result.code).toBe(0);
    });
  },
);

describe('the Lambda runtime', () => {
  it('runs every function on nodejs24.x', () => {
    for (const [name, { template }] of built) {
      const functions = Object.entries(
        template.Resources as Record<string, { Type: string; Properties: { Runtime?: string } }>,
      ).filter(
        ([id, resource]) =>
          resource.Type === 'AWS::Lambda::Function' && /^(Connect|Slack|Worker|Scheduler|Alarms)[0-9A-F]{8}$/.test(id),
      );
      expect([name, functions.length]).toEqual([name, 5]);
      for (const [, resource] of functions) expect(resource.Properties.Runtime).toBe('nodejs24.x');
    }
  });

  it.each(Object.entries(LAMBDA_ENTRIES))(
    '%s exports an async handler of (event, context): Node.js 24 on Lambda has no callback handlers',
    async (_name, entry) => {
      const { handler } = (await import(join('../..', entry))) as { handler: (...args: unknown[]) => unknown };
      expect(handler.constructor.name).toBe('AsyncFunction');
      expect(handler.length).toBeLessThanOrEqual(2);
    },
  );
});
