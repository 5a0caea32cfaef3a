import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { botFunction } from './functions';
import { allowWildcard } from './nag';

/** Beyond this, a SIEM reads old news, and entries near the stream's 24 h retention are about to be lost. */
const LAG_ALARM = Duration.hours(1);

/**
 * Every audit entry, as an event on the `<stack name>` bus: the table's stream (new images), filtered by
 * Lambda to inserted audit items so nothing else wakes the function, to a small forwarder that sends
 * PutEvents (source `vpn-chatops`, detail type = the action, detail = the entry with its id).
 *
 * A forwarder rather than an EventBridge Pipe: a pipe can take its detail type from the record (a dynamic
 * path), but its input template cannot turn the item's `details` map out of DynamoDB's typed JSON
 * (`{"M": {"reason": {"S": …}}}`), so a SIEM would match rules on a different shape than `vpnctl audit
 * --json` prints; and an entry without details would leave the template a hole.
 *
 * Its role may read the table's stream and put events on this one bus, nothing else.
 */
export function auditStream(
  scope: Construct,
  options: { table: ITable; stackName: string; functionName: string; alarmTopic: ITopic },
): { bus: EventBus } {
  const { table, stackName } = options;
  const bus = new EventBus(scope, 'AuditBus', {
    eventBusName: stackName,
    description: `${stackName}: every audit entry (source vpn-chatops, detail type = the action)`,
  });
  const forwarder = botFunction(scope, 'auditStream', {
    functionName: options.functionName,
    description: 'Audit entries from the table stream to the EventBridge bus, for a SIEM',
    timeout: Duration.seconds(30),
    memorySize: 256,
    environment: { EVENT_BUS_NAME: bus.eventBusName },
  });
  bus.grantPutEventsTo(forwarder);
  // Granted here rather than by DynamoEventSource (grantStreamRead), whose ListStreams on "*" has no Region bound.
  forwarder.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resources: [table.tableStreamArn!],
    }),
  );
  forwarder.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:ListStreams'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': Stack.of(scope).region } },
    }),
  );
  allowWildcard(
    forwarder.role!,
    '*',
    'dynamodb:ListStreams, which the event source mapping needs, has no resource type in IAM (Service Authorization Reference): "*" in this Region is the narrowest grant. The stream reads themselves are on this table\'s stream alone.',
  );
  forwarder.addEventSourceMapping('AuditStreamSource', {
    eventSourceArn: table.tableStreamArn!,
    // From the oldest record kept, so entries written before the mapping existed are delivered too.
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: 100,
    maxBatchingWindow: Duration.seconds(1),
    reportBatchItemFailures: true,
    // Until delivered or expired (24 h): a lost audit event is worse than a late one, and the lag alarm says so.
    retryAttempts: -1,
    filters: [
      FilterCriteria.filter({
        eventName: FilterRule.isEqual('INSERT'),
        dynamodb: { NewImage: { type: { S: FilterRule.isEqual('audit') } } },
      }),
    ],
  });
  const lag = new Alarm(scope, 'AuditStreamLag', {
    alarmName: `${stackName}-audit-stream-lag`,
    alarmDescription:
      'Audit entries wait more than an hour to reach EventBridge: the forwarder keeps failing (see its logs); after 24 h the stream drops them.',
    metric: forwarder.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: LAG_ALARM.toMilliseconds(),
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  lag.addAlarmAction(new SnsAction(options.alarmTopic));
  lag.addOkAction(new SnsAction(options.alarmTopic));
  return { bus };
}
