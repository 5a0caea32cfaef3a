import type { AwsClientVpnEndpoint } from './aws-client-vpn/endpoint';
import type { DynamoDbAccessRequestStore } from './dynamodb/access-request-store';
import type { LambdaJobQueue } from './aws-lambda/job-queue';
import type { CloudWatchConnectionLog } from './cloudwatch-logs/connection-log';
import type { CloudWatchFailureMetrics } from './cloudwatch-metrics/failure-metrics';
import type { DynamoDbApprovalStore } from './dynamodb/approval-store';
import type { DynamoDbSlackBudget } from './dynamodb/slack-budget';
import type { DynamoDbAuditLog } from './dynamodb/audit-log';
import type { DynamoDbAgentRegistry } from './dynamodb/agent-registry';
import type { DynamoDbCertificateStore } from './dynamodb/certificate-store';
import type { DynamoDbCrlDistribution } from './dynamodb/crl-distribution';
import type { DynamoDbCrlStateStore } from './dynamodb/crl-state-store';
import type { DynamoDbEndpointLease } from './dynamodb/endpoint-lease';
import type { DynamoDbFloodStateStore } from './dynamodb/flood-state-store';
import type { DynamoDbGrantStore } from './dynamodb/grant-store';
import type { DynamoDbIdempotencyStore } from './dynamodb/idempotency-store';
import type { DynamoDbLoginReader } from './dynamodb/login-reader';
import type { DynamoDbProbe } from './dynamodb/probe';
import type { DynamoDbReconcileProgressStore } from './dynamodb/reconcile-progress-store';
import type { DynamoDbSessionKillQueue } from './dynamodb/session-kill-queue';
import type { DynamoDbShippedLog } from './dynamodb/shipped-log';
import type { EventBridgeBus } from './eventbridge/event-bus';
import type { SecretsManagerCaStore } from './secrets-manager/ca-store';
import type { SecretsManagerTlsCryptV2Keys } from './secrets-manager/tls-crypt-v2-keys';

/**
 * The AWS requests each adapter method can send, named as IAM names the action it needs. The deployment's
 * roles are checked against these (test/unit/infra-operations.test.ts), and these against the requests the
 * adapters really send (test/integration/adapter-sends.test.ts), so a new call cannot ship without its grant.
 * A TransactWriteItems is authorized as the PutItem/UpdateItem/DeleteItem/ConditionCheckItem it contains.
 */
export type Sends<T> = {
  readonly [method in keyof T as T[method] extends (...args: never[]) => unknown ? method : never]: readonly string[];
};

const GET = 'dynamodb:GetItem';
const PUT = 'dynamodb:PutItem';
const UPDATE = 'dynamodb:UpdateItem';
const DELETE = 'dynamodb:DeleteItem';
const QUERY = 'dynamodb:Query';

export const CERTIFICATE_STORE_SENDS = {
  // The transaction's two puts; a stale CN claim is read and released first.
  create: [PUT, GET, DELETE],
  importMany: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', PUT],
  get: [GET],
  byUser: [QUERY],
  byActiveCn: [GET],
  list: [QUERY],
  page: [QUERY],
  // The shared count, and a recount stored once it is stale.
  counts: [GET, QUERY, PUT],
  markRevoked: [GET, UPDATE, DELETE],
  setSuspended: [UPDATE],
  revocationsForCrl: [QUERY],
  expiring: [QUERY],
  markReplaced: [UPDATE],
} as const satisfies Sends<DynamoDbCertificateStore>;

export const CRL_STATE_STORE_SENDS = {
  nextCrlNumber: [UPDATE],
  currentCrlNumber: [GET],
  getEndpoint: [GET],
  listEndpoints: [QUERY, GET],
  requestPublish: [PUT, UPDATE],
  acquireLease: [PUT],
  renewLease: [UPDATE],
  releaseLease: [DELETE],
  recordPublished: [UPDATE],
  recordFailure: [UPDATE],
  recordAlerted: [UPDATE],
} as const satisfies Sends<DynamoDbCrlStateStore>;

export const APPROVAL_STORE_SENDS = {
  create: [PUT],
  get: [GET],
  peek: [GET],
  attachMessage: [UPDATE, PUT],
  decideByMessage: [GET, UPDATE],
  decide: [UPDATE],
  remember: [PUT],
  isRemembered: [GET],
  claimPrompt: [GET, PUT],
  coolDown: [PUT],
  isCoolingDown: [GET],
  pending: [QUERY],
  unclosed: [QUERY],
  recent: [QUERY],
} as const satisfies Sends<DynamoDbApprovalStore>;

/**
 * The claim by CN, then the certificate, its remembered approval and its cooldown in one batch; a decision's
 * confirmation with the certificate's claim and item in another (batches retried while throttled).
 */
export const LOGIN_READER_SENDS = {
  read: [GET, 'dynamodb:BatchGetItem'],
  confirm: ['dynamodb:BatchGetItem'],
} as const satisfies Sends<DynamoDbLoginReader>;
export const SLACK_BUDGET_SENDS = { take: [UPDATE] } as const satisfies Sends<DynamoDbSlackBudget>;

export const GRANT_STORE_SENDS = {
  put: [PUT],
  active: [GET],
  end: [DELETE],
} as const satisfies Sends<DynamoDbGrantStore>;

export const ACCESS_REQUEST_STORE_SENDS = {
  create: [PUT],
  get: [GET],
  attachMessage: [UPDATE],
  decide: [UPDATE],
  reopen: [UPDATE],
  expire: [UPDATE],
  pending: [QUERY],
  lapsed: [QUERY],
  latest: [QUERY],
} as const satisfies Sends<DynamoDbAccessRequestStore>;

export const AUDIT_LOG_SENDS = { append: [PUT], query: [QUERY] } as const satisfies Sends<DynamoDbAuditLog>;

export const IDEMPOTENCY_STORE_SENDS = {
  claim: [PUT],
  release: [DELETE],
} as const satisfies Sends<DynamoDbIdempotencyStore>;

export const FLOOD_STATE_STORE_SENDS = { get: [GET], save: [PUT] } as const satisfies Sends<DynamoDbFloodStateStore>;

export const RECONCILE_PROGRESS_STORE_SENDS = {
  load: [GET],
  savePage: [PUT],
  listed: [QUERY],
  save: [PUT],
} as const satisfies Sends<DynamoDbReconcileProgressStore>;

export const DATABASE_PROBE_SENDS = { probe: [GET] } as const satisfies Sends<DynamoDbProbe>;

export const CRL_DISTRIBUTION_SENDS = {
  // The transaction's puts; a refused one reads the pointer, then older chunk sets get their expiry.
  publish: [PUT, GET, QUERY, UPDATE],
  newest: [GET],
  get: [GET, QUERY],
  reportApplied: [PUT],
  applied: [GET],
} as const satisfies Sends<DynamoDbCrlDistribution>;

export const SESSION_KILL_QUEUE_SENDS = {
  // The transaction's two puts; a session already queued is read back.
  request: [PUT, GET],
  pending: [QUERY],
  get: [GET],
  // The transaction's update of the kill and delete of its guard.
  settle: [UPDATE, DELETE],
  failed: [UPDATE],
} as const satisfies Sends<DynamoDbSessionKillQueue>;

export const AGENT_REGISTRY_SENDS = {
  beat: [UPDATE, PUT],
  list: [QUERY],
  serving: [GET, QUERY],
  markSilent: [UPDATE],
  markAlerted: [UPDATE],
} as const satisfies Sends<DynamoDbAgentRegistry>;

export const ENDPOINT_LEASE_SENDS = {
  acquire: [PUT],
  release: [DELETE],
} as const satisfies Sends<DynamoDbEndpointLease>;

export const SHIPPED_LOG_SENDS = { ship: [PUT], read: [QUERY] } as const satisfies Sends<DynamoDbShippedLog>;

/** `save` is vpnctl's (`ca init`, `ca import-easyrsa`), run with the admin's own credentials. */
export const CA_STORE_SENDS = {
  load: ['secretsmanager:GetSecretValue'],
  save: ['secretsmanager:GetSecretValue', 'secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue'],
} as const satisfies Sends<SecretsManagerCaStore>;

/** `save` and `remove` are vpnctl's (`endpoint tls-crypt-v2 import|generate`), run with the admin's own credentials. */
export const TLS_CRYPT_V2_KEYS_SENDS = {
  load: ['secretsmanager:GetSecretValue'],
  save: ['secretsmanager:GetSecretValue', 'secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue'],
  remove: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
} as const satisfies Sends<SecretsManagerTlsCryptV2Keys>;

/** readSlackSecret (src/adapters/secrets-manager/slack-secret.ts). */
export const SLACK_SECRET_SENDS = { read: ['secretsmanager:GetSecretValue'] } as const;

export const CONNECTION_LOG_SENDS = {
  read: ['logs:FilterLogEvents'],
} as const satisfies Sends<CloudWatchConnectionLog>;

/** GetMetricData has no resource type in IAM: it is granted on "*", in the Region only. */
export const FAILURE_METRICS_SENDS = {
  authenticationFailures: ['cloudwatch:GetMetricData'],
} as const satisfies Sends<CloudWatchFailureMetrics>;

export const JOB_QUEUE_SENDS = { enqueue: ['lambda:InvokeFunction'] } as const satisfies Sends<LambdaJobQueue>;

export const CLIENT_VPN_ENDPOINT_SENDS = {
  importCrl: ['ec2:ImportClientVpnClientCertificateRevocationList'],
  exportCrl: ['ec2:ExportClientVpnClientCertificateRevocationList'],
  listSessions: ['ec2:DescribeClientVpnConnections'],
  terminateSessions: ['ec2:TerminateClientVpnConnections'],
  clientConfiguration: ['ec2:ExportClientVpnClientConfiguration'],
  health: ['ec2:DescribeClientVpnEndpoints'],
  connectHandler: ['ec2:DescribeClientVpnEndpoints'],
  serverCertificate: ['ec2:DescribeClientVpnEndpoints', 'acm:DescribeCertificate'],
} as const satisfies Sends<AwsClientVpnEndpoint>;

/** The audit stream's one call; reading the table's stream is Lambda's, on the function's role. */
export const EVENT_BUS_SENDS = { putEvents: ['events:PutEvents'] } as const satisfies Sends<EventBridgeBus>;
