import {
  APPROVAL_STORE_SENDS,
  AUDIT_LOG_SENDS,
  CA_STORE_SENDS,
  CERTIFICATE_STORE_SENDS,
  CLIENT_VPN_ENDPOINT_SENDS,
  CONNECTION_LOG_SENDS,
  CRL_STATE_STORE_SENDS,
  DATABASE_PROBE_SENDS,
  IDEMPOTENCY_STORE_SENDS,
  JOB_QUEUE_SENDS,
  SLACK_SECRET_SENDS,
} from '../src/adapters/sends';
import type { LambdaName } from './lambda-bundling';

/** What a request acts on, so the grant can be checked on the right resource. */
export type Target =
  | 'table'
  | 'tableIndexes'
  | 'caSecret'
  | 'slackSecret'
  | 'endpoint'
  | 'region'
  | 'serverCertificate'
  | 'connectionLog'
  | 'workerFunction';

export interface Reach {
  /** An endpoint is configured (not "none"). */
  endpoint: boolean;
  /** Its connection log group is known (created endpoint, or connectionLogGroup). */
  connectionLog: boolean;
}

type SendsMap = Record<string, readonly string[]>;
const all = (sends: SendsMap) => Object.values(sends).flat();
const only = (sends: SendsMap, methods: string[]) => methods.flatMap((method) => sends[method]);
const except = (sends: SendsMap, methods: string[]) =>
  Object.entries(sends).flatMap(([method, actions]) => (methods.includes(method) ? [] : actions));

/** Listing endpoints has no resource type in IAM (Service Authorization Reference): it can only be granted on "*". */
const REGION_WIDE = new Set(['ec2:DescribeClientVpnEndpoints']);

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
  ].flatMap(all);
  const caSecret: [Target, string][] = only(CA_STORE_SENDS, ['load']).map((action) => ['caSecret', action]);
  switch (name) {
    case 'connect':
      return [
        ...slackSecret,
        ...onTable([
          ...only(CERTIFICATE_STORE_SENDS, ['byActiveCn']),
          ...only(APPROVAL_STORE_SENDS, [
            'create',
            'get',
            'attachMessage',
            'decide',
            'remember',
            'isRemembered',
            'claimPrompt',
            'isCoolingDown',
          ]),
          ...only(AUDIT_LOG_SENDS, ['append']),
          ...only(IDEMPOTENCY_STORE_SENDS, ['claim']),
        ]),
      ];
    case 'slack':
      return [
        ...slackSecret,
        ...onTable([
          ...except(CERTIFICATE_STORE_SENDS, ['importMany']),
          ...all(APPROVAL_STORE_SENDS),
          ...all(AUDIT_LOG_SENDS),
          ...all(IDEMPOTENCY_STORE_SENDS),
        ]),
        ...all(JOB_QUEUE_SENDS).map((action): [Target, string] => ['workerFunction', action]),
      ];
    case 'worker':
      return [
        ...slackSecret,
        ...caSecret,
        ...onTable([...stores, ...all(DATABASE_PROBE_SENDS)]),
        ...(reach.endpoint ? onEndpoint(all(CLIENT_VPN_ENDPOINT_SENDS)) : []),
        ...(reach.endpoint && reach.connectionLog
          ? all(CONNECTION_LOG_SENDS).map((action): [Target, string] => ['connectionLog', action])
          : []),
      ];
    case 'scheduler':
      return [
        ...slackSecret,
        ...caSecret,
        ...onTable(stores),
        // The daily job: CRL renewal (import, read back) and the session sweep.
        ...(reach.endpoint
          ? onEndpoint(only(CLIENT_VPN_ENDPOINT_SENDS, ['importCrl', 'exportCrl', 'listSessions', 'terminateSessions']))
          : []),
      ];
    case 'alarms':
      return slackSecret;
  }
}
