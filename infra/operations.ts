import {
  ACCESS_REQUEST_STORE_SENDS,
  AGENT_REGISTRY_SENDS,
  APPROVAL_STORE_SENDS,
  AUDIT_LOG_SENDS,
  CA_STORE_SENDS,
  CERTIFICATE_STORE_SENDS,
  CLIENT_VPN_ENDPOINT_SENDS,
  CONNECTION_LOG_SENDS,
  CRL_DISTRIBUTION_SENDS,
  CRL_STATE_STORE_SENDS,
  DATABASE_PROBE_SENDS,
  ENDPOINT_LEASE_SENDS,
  EVENT_BUS_SENDS,
  FAILURE_METRICS_SENDS,
  FLOOD_STATE_STORE_SENDS,
  GRANT_STORE_SENDS,
  IDEMPOTENCY_STORE_SENDS,
  JOB_QUEUE_SENDS,
  LOGIN_READER_SENDS,
  RECONCILE_PROGRESS_STORE_SENDS,
  SESSION_KILL_QUEUE_SENDS,
  SHIPPED_LOG_SENDS,
  SLACK_SECRET_SENDS,
  TLS_CRYPT_V2_KEYS_SENDS,
} from '../src/adapters/sends';
import type { LambdaName } from './lambda-bundling';

/** What a request acts on, so the grant can be checked on the right resource. */
export type Target =
  | 'table'
  | 'tableIndexes'
  | 'caSecret'
  | 'slackSecret'
  | 'tlsCryptV2Secret'
  | 'endpoint'
  | 'region'
  | 'serverCertificate'
  | 'connectionLog'
  | 'workerFunction'
  | 'auditBus';

export interface Reach {
  /** An endpoint is configured (not "none"). */
  endpoint: boolean;
  /** Its connection log group is known (created endpoint, or connectionLogGroup). */
  connectionLog: boolean;
  /** An agent-served server runs tls-crypt-v2 (infra/settings.ts usesTlsCryptV2). */
  tlsCryptV2?: boolean;
}

type SendsMap = Record<string, readonly string[]>;
const all = (sends: SendsMap) => Object.values(sends).flat();
const only = <S extends SendsMap>(sends: S, methods: (keyof S & string)[]) =>
  methods.flatMap((method) => sends[method]);
const except = (sends: SendsMap, methods: string[]) =>
  Object.entries(sends).flatMap(([method, actions]) => (methods.includes(method) ? [] : actions));

/** Listing endpoints and reading metrics have no resource type in IAM (Service Authorization Reference): only "*". */
const REGION_WIDE = new Set(['ec2:DescribeClientVpnEndpoints', 'cloudwatch:GetMetricData']);

function onTable(actions: readonly string[]): [Target, string][] {
  return [...new Set(actions)].map((action): [Target, string] => [
    action === 'dynamodb:Query' ? 'tableIndexes' : 'table',
    action,
  ]);
}

function onEndpoint(actions: readonly string[]): [Target, string][] {
  return [...new Set(actions)].map((action): [Target, string] => [
    action.startsWith('acm:') ? 'serverCertificate' : REGION_WIDE.has(action) ? 'region' : 'endpoint',
    action,
  ]);
}

/** Each table store's requests, under its name in storesFor (src/adapters/dynamodb/stores.ts). */
const STORE_SENDS = {
  certificates: CERTIFICATE_STORE_SENDS,
  approvals: APPROVAL_STORE_SENDS,
  logins: LOGIN_READER_SENDS,
  audit: AUDIT_LOG_SENDS,
  idempotency: IDEMPOTENCY_STORE_SENDS,
  crlDistribution: CRL_DISTRIBUTION_SENDS,
  sessionKills: SESSION_KILL_QUEUE_SENDS,
  agents: AGENT_REGISTRY_SENDS,
  agentLease: ENDPOINT_LEASE_SENDS,
  shippedLog: SHIPPED_LOG_SENDS,
  grants: GRANT_STORE_SENDS,
  accessRequests: ACCESS_REQUEST_STORE_SENDS,
};
type StoreCalls = { readonly [store in keyof typeof STORE_SENDS]?: readonly (keyof (typeof STORE_SENDS)[store])[] };

const sendsOf = (calls: StoreCalls) =>
  Object.entries(calls).flatMap(([store, methods]) =>
    only<SendsMap>(STORE_SENDS[store as keyof typeof STORE_SENDS], methods as string[]),
  );

/**
 * The bot's side of agent-served endpoints (src/adapters/agent/*): AgentServedEndpoint publishes a CRL and
 * reads back what the agent applied, queues kills and awaits them, and reads sessions, health and keys from
 * the newest heartbeat; a shipped log is its connection log. Whoever holds the endpoints and logs sends these.
 */
const AGENT_SERVED_ENDPOINTS = sendsOf({
  crlDistribution: ['publish', 'get', 'applied'],
  sessionKills: ['request', 'get'],
  agents: ['serving'],
});

/** The login decision (src/services/decide-connection.ts), as the connect handler and the agent's bridge make it. */
const LOGIN_DECISION_CALLS = {
  certificates: ['byActiveCn'],
  approvals: [
    'create',
    'get',
    'peek',
    'attachMessage',
    'decide',
    'remember',
    'isRemembered',
    'claimPrompt',
    'isCoolingDown',
  ],
  logins: ['read', 'confirm'],
  audit: ['append'],
  idempotency: ['claim'],
} as const satisfies StoreCalls;

const LOGIN_DECISION = sendsOf(LOGIN_DECISION_CALLS);

/**
 * What `vpnctl agent` calls on the table (src/agent/*, src/services/agent/*): the CRL download and its report,
 * the kills it carries out, its heartbeat, its lease, the log hours it ships, the login decision its approval
 * bridge makes, and its daily sweep (a certificate by CN, the audit entry). Its role (infra/agent-role.ts) is
 * checked against exactly these, action by action and partition by partition.
 */
export const AGENT_CALLS = {
  crlDistribution: ['newest', 'get', 'reportApplied'],
  sessionKills: ['pending', 'settle', 'failed'],
  agents: ['beat'],
  agentLease: ['acquire', 'release'],
  shippedLog: ['ship'],
  ...LOGIN_DECISION_CALLS,
} as const satisfies StoreCalls;

/** The table actions `vpnctl agent` sends. */
export function agentOperations(): string[] {
  return [...new Set(sendsOf(AGENT_CALLS))];
}

/**
 * The AWS requests each function's code can send, from the adapter and store methods it reaches (each
 * method's requests: src/adapters/sends.ts). The worker and the scheduler hold the whole VpnAdmin, whose CRL
 * publisher carries records forward with importMany; the Slack function holds the stores but no publisher
 * (src/composition/slack-ingress.ts); the connect handler reaches only what decide-connection uses.
 */
export function operationsOf(name: LambdaName, reach: Reach): [Target, string][] {
  const slackSecret: [Target, string][] = all(SLACK_SECRET_SENDS).map((action) => ['slackSecret', action]);
  const stores = [
    CERTIFICATE_STORE_SENDS,
    CRL_STATE_STORE_SENDS,
    APPROVAL_STORE_SENDS,
    AUDIT_LOG_SENDS,
    IDEMPOTENCY_STORE_SENDS,
    GRANT_STORE_SENDS,
    ACCESS_REQUEST_STORE_SENDS,
    FLOOD_STATE_STORE_SENDS,
    RECONCILE_PROGRESS_STORE_SENDS,
  ].flatMap(all);
  const caSecret: [Target, string][] = only(CA_STORE_SENDS, ['load']).map((action) => ['caSecret', action]);
  switch (name) {
    case 'connect':
      return [...slackSecret, ...onTable(LOGIN_DECISION)];
    case 'slack':
      return [
        ...slackSecret,
        ...onTable([
          ...except(CERTIFICATE_STORE_SENDS, ['importMany']),
          ...all(APPROVAL_STORE_SENDS),
          ...all(AUDIT_LOG_SENDS),
          ...all(IDEMPOTENCY_STORE_SENDS),
          ...all(GRANT_STORE_SENDS),
          ...all(ACCESS_REQUEST_STORE_SENDS),
        ]),
        ...all(JOB_QUEUE_SENDS).map((action): [Target, string] => ['workerFunction', action]),
      ];
    case 'worker':
      return [
        ...slackSecret,
        ...caSecret,
        // Issuing wraps each profile's tls-crypt-v2 key with the stored server key (adapters/agent/endpoint.ts).
        ...(reach.tlsCryptV2
          ? only(TLS_CRYPT_V2_KEYS_SENDS, ['load']).map((action): [Target, string] => ['tlsCryptV2Secret', action])
          : []),
        // Doctor and the Home list the agents; /vpn logs reads what they shipped.
        ...onTable([
          ...stores,
          ...all(DATABASE_PROBE_SENDS),
          ...AGENT_SERVED_ENDPOINTS,
          ...only(AGENT_REGISTRY_SENDS, ['list']),
          ...only(SHIPPED_LOG_SENDS, ['read']),
        ]),
        ...(reach.endpoint ? onEndpoint(all(CLIENT_VPN_ENDPOINT_SENDS)) : []),
        // Doctor's 24 h of AuthenticationFailures and /vpn logs' window (services/failure-windows.ts).
        ...(reach.endpoint ? onEndpoint(all(FAILURE_METRICS_SENDS)) : []),
        ...(reach.endpoint && reach.connectionLog
          ? all(CONNECTION_LOG_SENDS).map((action): [Target, string] => ['connectionLog', action])
          : []),
        // A settle-prompt job hands itself on to the worker (slack/jobs/settle-prompt.ts).
        ...all(JOB_QUEUE_SENDS).map((action): [Target, string] => ['workerFunction', action]),
      ];
    case 'scheduler':
      return [
        ...slackSecret,
        ...caSecret,
        // The daily job renews agent-served endpoints' CRLs and sweeps their sessions too; the five-minute
        // agent check lists the agents and marks the silent ones and the faults told (services/agent-watch.ts).
        ...onTable([
          ...stores,
          ...AGENT_SERVED_ENDPOINTS,
          ...only(AGENT_REGISTRY_SENDS, ['list', 'markSilent', 'markAlerted']),
          // ...and reads the kills still queued, to tell of those stuck.
          ...only(SESSION_KILL_QUEUE_SENDS, ['pending']),
          // The 15-minute flood watch reads each endpoint's log: an agent's shipped hours, or CloudWatch Logs.
          ...only(SHIPPED_LOG_SENDS, ['read']),
        ]),
        // The daily job: CRL renewal (import, read back) and the session sweep.
        ...(reach.endpoint
          ? onEndpoint(only(CLIENT_VPN_ENDPOINT_SENDS, ['importCrl', 'exportCrl', 'listSessions', 'terminateSessions']))
          : []),
        ...(reach.endpoint && reach.connectionLog
          ? all(CONNECTION_LOG_SENDS).map((action): [Target, string] => ['connectionLog', action])
          : []),
      ];
    case 'alarms':
      return slackSecret;
    case 'auditStream':
      return all(EVENT_BUS_SENDS).map((action): [Target, string] => ['auditBus', action]);
  }
}
