import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { allowWildcard } from './nag';

/**
 * What the bot's own code calls on the table, and nothing more: no Scan, no table management.
 * TransactWriteItems is authorized as the Put/Update/DeleteItem it contains. Every request each
 * function can send is checked against its grant, and its grant against those requests, by
 * test/unit/infra-operations.test.ts.
 */
export const BOT_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

/**
 * The connect handler, item by item (src/services/decide-connection.ts and the stores it uses). It
 * reads certificates (CN#, CERT#) but can never write one, so a compromised handler cannot un-revoke
 * or re-enable a certificate; it reads and writes approvals and their guards, and appends audit entries.
 * It runs no Query, so no index is granted. SLACKBUDGET# paces its prompts under Slack's limits.
 */
export const CONNECT_READS = ['CN#*', 'CERT#*', 'APPROVAL#*', 'REMEMBER#*', 'COOLDOWN#*', 'PROMPTS#*'];
/**
 * The certificate, its remembered approval and its cooldown, read together once the CN's claim names the serial;
 * and a decision a poll showed, with the CN's claim and the certificate, read together to confirm it.
 */
export const CONNECT_BATCH_READS = ['CN#*', 'CERT#*', 'APPROVAL#*', 'REMEMBER#*', 'COOLDOWN#*'];
export const CONNECT_WRITES = [
  'APPROVAL#*',
  'APPROVALMSG#*',
  'REMEMBER#*',
  'PROMPTS#*',
  'AUDIT#*',
  'IDEMPOTENCY#*',
  'SLACKBUDGET#*',
];

/**
 * The CRL publisher's carry-forward and the daily repair (importMany) read and write batches, in exactly
 * the recreated-table case they exist for. Only the worker and the scheduler hold the publisher.
 */
export const PUBLISHER_TABLE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'];

export function grantBotTableAccess(grantee: IGrantable, table: ITable, options: { publisher?: boolean } = {}): void {
  const actions = [...BOT_TABLE_ACTIONS, ...(options.publisher ? PUBLISHER_TABLE_ACTIONS : [])];
  const indexes = `${table.tableArn}/index/*`;
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [table.tableArn, indexes] }));
  allowWildcard(
    roleOf(grantee),
    indexes,
    "Queries run on the table's own global secondary indexes (tableDefinition); the wildcard spans only that table's indexes.",
  );
}

/** The construct a grant lands on, for acknowledging what cdk-nag finds in it. */
function roleOf(grantee: IGrantable): IConstruct {
  return grantee.grantPrincipal as unknown as IConstruct;
}

/**
 * `ForAllValues:StringLike` on `dynamodb:LeadingKeys` limits every item a request touches to these
 * partition-key prefixes. Only actions that always carry a key are granted: ForAllValues is true for a
 * request with no key at all (a Scan), which is why Scan and Query on indexes are not here.
 */
export function grantConnectTableAccess(grantee: IGrantable, table: ITable): void {
  const onlyKeys = (prefixes: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } });
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:GetItem'],
      resources: [table.tableArn],
      conditions: onlyKeys(CONNECT_READS),
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:BatchGetItem'],
      resources: [table.tableArn],
      conditions: onlyKeys(CONNECT_BATCH_READS),
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: onlyKeys(CONNECT_WRITES),
    }),
  );
}

/** The EC2 calls each role makes on the endpoint (src/adapters/aws-client-vpn/endpoint.ts). */
export const EC2_ACTIONS = {
  worker: [
    'ec2:ImportClientVpnClientCertificateRevocationList',
    'ec2:ExportClientVpnClientCertificateRevocationList',
    'ec2:DescribeClientVpnConnections',
    'ec2:TerminateClientVpnConnections',
    'ec2:ExportClientVpnClientConfiguration',
  ],
  scheduler: [
    'ec2:ImportClientVpnClientCertificateRevocationList',
    'ec2:ExportClientVpnClientCertificateRevocationList',
    'ec2:DescribeClientVpnConnections',
    'ec2:TerminateClientVpnConnections',
  ],
} as const;

/**
 * Every call on the endpoint, DescribeClientVpnConnections included, takes the endpoint's ARN as its
 * resource (the `client-vpn-endpoint` resource type). Only DescribeClientVpnEndpoints, a list call, has no
 * resource type in the Service Authorization Reference: the worker (`/vpn doctor`) gets it on "*", in the
 * Region only.
 */
export function grantEndpointAccess(
  grantee: IGrantable,
  role: keyof typeof EC2_ACTIONS,
  endpointArn: string,
  region: string,
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: [...EC2_ACTIONS[role]], resources: [endpointArn] }),
  );
  if (role !== 'worker') return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ec2:DescribeClientVpnEndpoints'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': region } },
    }),
  );
  allowWildcard(
    roleOf(grantee),
    '*',
    'ec2:DescribeClientVpnEndpoints (/vpn doctor) has no resource type in IAM, so it can only be granted on "*"; it is limited to the Region.',
  );
}

/**
 * `/vpn doctor` reads the endpoint's server certificate expiry from ACM. A created endpoint's certificate
 * ARN is known; an existing endpoint's is not (it is read from the endpoint at run time), so the grant is
 * then this account's certificates in this Region.
 */
export function grantServerCertificateRead(grantee: IGrantable, scope: Construct, certificateArn?: string): void {
  const arn =
    certificateArn ?? Arn.format({ service: 'acm', resource: 'certificate', resourceName: '*' }, Stack.of(scope));
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['acm:DescribeCertificate'], resources: [arn] }),
  );
  if (!certificateArn)
    allowWildcard(
      roleOf(grantee),
      arn,
      "An existing endpoint's server certificate is only known at run time (read from the endpoint): read-only DescribeCertificate on this account's certificates in this Region.",
    );
}

/** /vpn logs reads the endpoint's connection log: FilterLogEvents on that one log group. */
export function grantConnectionLogRead(grantee: IGrantable, logGroup: string, scope: Construct): void {
  const arn = Arn.format(
    { service: 'logs', resource: 'log-group', resourceName: logGroup, arnFormat: ArnFormat.COLON_RESOURCE_NAME },
    Stack.of(scope),
  );
  // IAM matches the group's ARN with and without the ":*" stream suffix depending on the API version: both.
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['logs:FilterLogEvents'], resources: [arn, `${arn}:*`] }),
  );
  allowWildcard(
    roleOf(grantee),
    `${arn}:*`,
    'The log streams of the one connection log group: Client VPN names a stream per ENI, so they cannot be listed in advance.',
  );
}

/**
 * Doctor's last 24 h of the endpoint's AuthenticationFailures and /vpn logs' window read the metric with
 * cloudwatch:GetMetricData, which has no resource type in IAM: granted on "*", in the Region only.
 */
export function grantFailureMetricsRead(grantee: IGrantable, region: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': region } },
    }),
  );
  allowWildcard(
    roleOf(grantee),
    '*',
    'cloudwatch:GetMetricData (the endpoint\'s AuthenticationFailures for /vpn doctor and /vpn logs) has no resource type in IAM, so it can only be granted on "*"; it is read-only and limited to the Region.',
  );
}
