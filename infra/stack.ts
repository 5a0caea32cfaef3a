import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Alias, FunctionUrlAuthType, IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PLACEHOLDER_KEY } from '../src/adapters/secrets-manager/placeholder';
import { parseWindow } from '../src/domain/window';
import { botAlarms } from './alarms';
import { vpnEndpoint } from './endpoint';
import { botFunction } from './functions';
import { grantBotTableAccess, grantConnectTableAccess, grantConnectionLogRead, grantEndpointAccess, grantServerCertificateRead } from './permissions';
import type { Settings } from './settings';
import { stateTable } from './table';

export interface VpnChatopsStackProps extends StackProps {
  settings: Settings;
}

/** The prefix Client VPN's service-linked role may invoke (arn:aws:lambda:*:*:function:AWSClientVPN-*). */
export const CONNECT_PREFIX = 'AWSClientVPN-';

/**
 * CloudFormation cannot create an empty secret, so each starts as a placeholder the code recognises
 * (src/adapters/secrets-manager/placeholder.ts); nothing secret is ever in the template.
 */
function placeholderSecret(scope: Construct, id: string, name: string, fillWith: string, reuse: boolean, removalPolicy: RemovalPolicy): ISecret {
  if (reuse) return Secret.fromSecretNameV2(scope, id, name);
  return new Secret(scope, id, {
    secretName: name,
    description: `vpn-chatops: ${fillWith}`,
    generateSecretString: { secretStringTemplate: JSON.stringify({ [PLACEHOLDER_KEY]: fillWith }), generateStringKey: 'filler', excludePunctuation: true },
    removalPolicy,
  });
}

/** The daily job runs in the middle of CRL_WINDOW's hours, every day: on the window's day it can renew in the window. */
export function dailyCron(window: string): { hour: string; minute: string } {
  const { startMinute, endMinute } = parseWindow(window);
  const middle = Math.floor((startMinute + endMinute) / 2);
  return { hour: String(Math.floor(middle / 60)), minute: String(middle % 60) };
}

export class VpnChatopsStack extends Stack {
  constructor(scope: Construct, id: string, props: VpnChatopsStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const name = settings.stackName;
    const reuse = settings.reuseRetained;

    const table = stateTable(this, name, reuse);
    // Fixed names: the guide and vpnctl refer to them, and a redeployed stack can adopt the retained CA.
    const secretNames = { ca: `${name}/ca`, slack: `${name}/slack` };
    // Both outlive the stack: losing the CA key orphans every certificate ever issued, and a deleted
    // secret's name stays taken for its recovery window. `reuseRetained` adopts them again.
    const caSecret = placeholderSecret(this, 'CaSecret', secretNames.ca, `the CA. Fill it with: npx vpnctl ca init --secret ${secretNames.ca} (or ca import-easyrsa <dir> --secret ${secretNames.ca})`, reuse, RemovalPolicy.RETAIN);
    const slackSecret = placeholderSecret(this, 'SlackSecret', secretNames.slack, 'the Slack app. Fill it with JSON {"SLACK_BOT_TOKEN": "xoxb-…", "SLACK_SIGNING_SECRET": "…"} (docs/deploy.md)', reuse, RemovalPolicy.RETAIN);

    const names = { slack: `${name}-slack`, worker: `${name}-worker`, connect: `${CONNECT_PREFIX}${name}`, scheduler: `${name}-scheduler`, alarms: `${name}-alarms` };
    const shared: Record<string, string> = {
      ...settings.botSettings,
      TABLE_NAME: table.tableName,
      SLACK_SECRET_ID: secretNames.slack,
      CERT_DOMAIN: settings.domain,
      ADMIN_CHANNEL_ID: settings.adminChannelId,
      ...(settings.adminSlackIds.length ? { ADMIN_SLACK_IDS: settings.adminSlackIds.join(',') } : {}),
      ...(settings.adminUsergroupId ? { ADMIN_USERGROUP_ID: settings.adminUsergroupId } : {}),
    };

    const connect = botFunction(this, 'connect', {
      functionName: names.connect,
      description: 'Client VPN connect handler: certificate check and Slack approval of each new login',
      // Client VPN stops waiting at 30 s (APPROVAL_TIMEOUT_S is at most 27).
      timeout: Duration.seconds(30),
      memorySize: 512,
      environment: { ...shared, APPROVALS: settings.approvals },
    });
    grantConnectTableAccess(connect, table);
    slackSecret.grantRead(connect);
    const connectTarget: IFunction =
      settings.connectProvisionedConcurrency > 0
        ? new Alias(this, 'ConnectLive', { aliasName: 'live', version: connect.currentVersion, provisionedConcurrentExecutions: settings.connectProvisionedConcurrency })
        : connect;

    const endpoint = vpnEndpoint(this, settings, connectTarget.functionArn);
    const vpnEndpoints = endpoint ? Stack.of(this).toJsonString([{ type: 'aws-client-vpn', id: endpoint.id, region: this.region, ...(endpoint.logGroup && { logGroup: endpoint.logGroup }) }]) : '[]';
    const withCa = { ...shared, CA_SECRET_ID: secretNames.ca, VPN_ENDPOINTS: vpnEndpoints };

    const worker = botFunction(this, 'worker', {
      functionName: names.worker,
      description: 'Slow work from Slack: issue, renew, revoke, CRL publish, doctor, logs, audit export, App Home',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: withCa,
    });
    // Jobs carry ids and the worker runs each once: a Lambda retry would only repeat a failure.
    worker.configureAsyncInvoke({ retryAttempts: 0 });
    grantBotTableAccess(worker, table, { publisher: true });
    caSecret.grantRead(worker);
    slackSecret.grantRead(worker);
    if (endpoint) grantEndpointAccess(worker, 'worker', endpoint.arn, this.region);
    if (endpoint?.logGroup) grantConnectionLogRead(worker, endpoint.logGroup, this);
    if (endpoint) grantServerCertificateRead(worker, this, endpoint.serverCertificateArn);

    const slack = botFunction(this, 'slack', {
      functionName: names.slack,
      description: 'Slack requests (Function URL): /vpn, buttons, events',
      timeout: Duration.seconds(10),
      memorySize: 512,
      environment: { ...shared, WORKER_FUNCTION_NAME: names.worker },
    });
    grantBotTableAccess(slack, table);
    slackSecret.grantRead(slack);
    worker.grantInvoke(slack);
    // Slack's request signature is the authentication; the function refuses anything unsigned.
    const url = slack.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    const scheduler = botFunction(this, 'scheduler', {
      functionName: names.scheduler,
      description: 'Daily: CRL renewal, drift check, session sweep, retirements, expiry reminders, digest, CRL days-left metric',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      environment: withCa,
    });
    grantBotTableAccess(scheduler, table, { publisher: true });
    caSecret.grantRead(scheduler);
    slackSecret.grantRead(scheduler);
    if (endpoint) grantEndpointAccess(scheduler, 'scheduler', endpoint.arn, this.region);
    new Schedule(this, 'Daily', {
      scheduleName: `${name}-daily`,
      description: 'vpn-chatops daily job (CRL renewal inside CRL_WINDOW, drift check, sweep, reminders)',
      schedule: ScheduleExpression.cron(dailyCron(settings.botSettings.CRL_WINDOW ?? 'Sun 03:00-05:00 UTC')),
      target: new LambdaInvoke(scheduler, { input: ScheduleTargetInput.fromObject({ task: 'daily' }), retryAttempts: 2 }),
    });

    const notifier = botFunction(this, 'alarms', {
      functionName: names.alarms,
      description: 'CloudWatch alarms (SNS) to the admin channel in Slack',
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: shared,
    });
    slackSecret.grantRead(notifier);
    const { topic } = botAlarms(this, { connect, worker, scheduler, slack, notifier, schedulerName: names.scheduler, stackName: name, email: settings.alarmEmail });

    new CfnOutput(this, 'SlackRequestUrl', { value: `${url.url}slack/events`, description: 'Paste into manifest.yml (slash command, interactivity and event URLs)' });
    new CfnOutput(this, 'EndpointId', { value: endpoint?.id ?? 'none', description: 'The Client VPN endpoint the bot serves' });
    new CfnOutput(this, 'ConnectHandlerArn', { value: connectTarget.functionArn, description: 'Attached as the endpoint client connect handler' });
    new CfnOutput(this, 'CaSecretName', { value: secretNames.ca, description: 'vpnctl ca init --secret <this>, or ca import-easyrsa <dir> --secret <this>' });
    new CfnOutput(this, 'SlackSecretName', { value: secretNames.slack, description: 'JSON {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn });
  }
}
