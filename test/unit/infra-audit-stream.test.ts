import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/bin/app';
import { tempDir } from '../helpers/tools';

const SETTINGS = {
  region: 'eu-west-1',
  domain: 'vpn.example.com',
  endpoint: 'cvpn-endpoint-0123456789abcdef0',
  adminChannelId: 'C0123456789',
};

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let outdirs: ReturnType<typeof tempDir> | undefined;
afterAll(() => outdirs?.remove());

function synth(context: Json = {}): Template {
  outdirs ??= tempDir('synth-audit-stream');
  const app = new App({
    outdir: join(outdirs.path, String(Math.random()).slice(2)),
    context: { ...SETTINGS, ...context, 'aws:cdk:bundling-stacks': [] },
  });
  return Template.fromStack(buildApp(app));
}

const logicalId = (template: Template, type: string, prefix: string) =>
  Object.keys(template.findResources(type)).find((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id))!;

describe('the audit stream in the CDK stack', () => {
  let template: Template;
  let table: string;
  let bus: string;
  beforeAll(() => {
    template = synth();
    table = logicalId(template, 'AWS::DynamoDB::Table', 'State');
    bus = logicalId(template, 'AWS::Events::EventBus', 'AuditBus');
  });

  it("streams the table's new images to a forwarder, filtered by Lambda to inserted audit items, retried from a reported failure", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'vpn-chatops' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [table, 'StreamArn'] },
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'AuditStream') },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: -1,
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { type: { S: ['audit'] } } } }),
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'vpn-chatops-audit-stream',
      Environment: { Variables: { EVENT_BUS_NAME: { Ref: bus } } },
    });
    template.hasOutput('AuditEventBusName', { Value: { Ref: bus } });
  });

  it("lets the forwarder read the table's stream and put events on its bus, and nothing else", () => {
    const role = logicalId(template, 'AWS::IAM::Role', 'AuditStreamRole');
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify((policy.Properties as Json).Roles).includes(`"${role}"`))
      .flatMap(
        (policy) => (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
      );
    const grants = statements.map((s) => [[s.Action].flat().sort(), s.Resource]);
    expect(grants).toEqual(
      expect.arrayContaining([
        [['events:PutEvents'], { 'Fn::GetAtt': [bus, 'Arn'] }],
        [['dynamodb:ListStreams'], '*'],
        [
          ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          { 'Fn::GetAtt': [table, 'StreamArn'] },
        ],
      ]),
    );
    expect(statements.find((s) => s.Action === 'dynamodb:ListStreams')).toMatchObject({
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    });
    // Besides those three, only its own log group.
    expect(grants).toHaveLength(4);
    expect(JSON.stringify(grants)).not.toMatch(
      /secretsmanager|dynamodb:(Get|Put|Update|Delete)Item|dynamodb:Query|"Fn::GetAtt":\["State[0-9A-F]{8}","Arn"\]/,
    );
  });

  it('alarms when entries wait an hour to reach the bus', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'vpn-chatops-audit-stream-lag',
      MetricName: 'IteratorAge',
      Threshold: 3_600_000,
      AlarmActions: [{ Ref: logicalId(template, 'AWS::SNS::Topic', 'AlarmTopic') }],
      OKActions: [{ Ref: logicalId(template, 'AWS::SNS::Topic', 'AlarmTopic') }],
    });
  });

  it('leaves it out for a table adopted with reuseRetained, whose stream it cannot name', () => {
    const again = synth({ reuseRetained: true });
    again.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    again.resourceCountIs('AWS::Events::EventBus', 0);
    expect(
      again.findResources('AWS::Lambda::Function', { Properties: { FunctionName: Match.stringLikeRegexp('audit') } }),
    ).toEqual({});
  });
});
