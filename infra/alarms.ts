import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { CRL_DAYS_LEFT, METRICS_NAMESPACE } from '../src/adapters/aws-lambda/metrics';
import {
  AUTHENTICATION_FAILURES,
  CLIENT_VPN_NAMESPACE,
  ENDPOINT_DIMENSION,
} from '../src/adapters/cloudwatch-metrics/failure-metrics';
import { SPIKE_RULES } from '../src/domain/failure-spikes';

/** Below this many days the CRL alarm fires, matching the first alert of the daily job. */
export const CRL_ALARM_DAYS = 14;

export interface AlarmTargets {
  connect: IFunction;
  worker: IFunction;
  scheduler: IFunction;
  slack: IFunction;
  /** Posts each alarm to ADMIN_CHANNEL_ID. */
  notifier: IFunction;
  schedulerName: string;
  stackName: string;
  /** The Client VPN endpoint's id, when the stack knows it: its AuthenticationFailures are watched. */
  clientVpnEndpointId?: string;
  email?: string;
}

/**
 * Alarms → one SNS topic → the notifier function → the admin channel (and e-mail, if set, for when
 * Slack itself is the problem). OK transitions are sent too, so the channel sees the all-clear.
 */
export function botAlarms(scope: Construct, targets: AlarmTargets): { topic: Topic; alarms: Alarm[] } {
  const topic = new Topic(scope, 'AlarmTopic', { displayName: `${targets.stackName} alarms`, enforceSSL: true });
  topic.addSubscription(new LambdaSubscription(targets.notifier));
  if (targets.email) topic.addSubscription(new EmailSubscription(targets.email));

  const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
  const anyOf = (id: string, metric: Metric, description: string) =>
    new Alarm(scope, id, {
      alarmName: `${targets.stackName}-${id.replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}`,
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  const alarms: Alarm[] = [
    anyOf(
      'ConnectErrors',
      targets.connect.metricErrors(fiveMinutes),
      'The VPN connect handler failed: Client VPN refuses every login it could not answer.',
    ),
    anyOf(
      'ConnectThrottles',
      targets.connect.metricThrottles(fiveMinutes),
      'The VPN connect handler was throttled: those logins were refused. Consider connectProvisionedConcurrency or a higher account concurrency limit.',
    ),
    anyOf(
      'WorkerErrors',
      targets.worker.metricErrors(fiveMinutes),
      'The bot worker failed or could not start (issue, revoke, CRL publish); see its logs.',
    ),
    anyOf(
      'SchedulerErrors',
      targets.scheduler.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      'The daily CRL job or the 5-minute agent check failed or could not start (is the CA secret filled in?); see its logs.',
    ),
    anyOf(
      'SlackErrors',
      targets.slack.metricErrors(fiveMinutes),
      'The Slack function failed (are the Slack secret and signing secret right?); /vpn may not answer.',
    ),
    new Alarm(scope, 'CrlDaysLeft', {
      alarmName: `${targets.stackName}-crl-days-left`,
      alarmDescription: `The CRL on the VPN endpoint expires in fewer than ${CRL_ALARM_DAYS} days (or could not be read). When it expires, EVERY login is refused. Run vpnctl crl publish and check the endpoint.`,
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: CRL_DAYS_LEFT,
        dimensionsMap: { Function: targets.schedulerName },
        statistic: 'Minimum',
        period: Duration.days(1),
      }),
      threshold: CRL_ALARM_DAYS,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      // No data point before the first run; a run that fails raises SchedulerErrors instead.
      treatMissingData: TreatMissingData.MISSING,
    }),
  ];
  if (targets.clientVpnEndpointId !== undefined)
    alarms.push(authenticationFailures(scope, targets.stackName, targets.clientVpnEndpointId));
  const action = new SnsAction(topic);
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return { topic, alarms };
}

/**
 * Seed 000's symptom, whatever its cause (expired CRL, wrong CA, revoked certificates retrying): AWS logs no
 * failed certificate handshake, so `AuthenticationFailures` is the only sign. Two 5-minute periods of three at
 * or over the spike finder's floor (src/domain/failure-spikes.ts), so one client's retry burst does not page.
 */
function authenticationFailures(scope: Construct, stackName: string, endpointId: string): Alarm {
  return new Alarm(scope, 'AuthenticationFailures', {
    alarmName: `${stackName}-authentication-failures`,
    alarmDescription: `Logins to the Client VPN endpoint are failing authentication (at least ${SPIKE_RULES.minFailures} per 5 minutes): an expired CRL, a wrong CA or many revoked clients retrying. Run /vpn doctor, then /vpn logs for the window.`,
    metric: new Metric({
      namespace: CLIENT_VPN_NAMESPACE,
      metricName: AUTHENTICATION_FAILURES,
      dimensionsMap: { [ENDPOINT_DIMENSION]: endpointId },
      statistic: 'Sum',
      period: Duration.minutes(5),
    }),
    threshold: SPIKE_RULES.minFailures,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // No data point is published for a period without failures.
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
