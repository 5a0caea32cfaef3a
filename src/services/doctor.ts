import { Check, CheckStatus, DoctorDeps, days, failure, guard, iso } from './doctor-check';
import { endpointChecks } from './doctor-endpoint';
import { agentChecks } from './doctor-agents';
import { CLOCK_SKEW_FAIL_S, CLOCK_SKEW_WARN_S, clockSkewS, skewText } from './clock-skew';
import { failureMetricChecks } from './doctor-metrics';
import { tlsCryptChecks } from './doctor-tls-crypt';
import { messageOf } from '../domain/errors';
import { DAY_MS } from '../domain/time';

export type { Check, CheckStatus, DoctorDeps, DoctorPolicy, DoctorProbes } from './doctor-check';

const CA_FAIL_DAYS = 30;

function caCheck(deps: DoctorDeps): Check {
  const name = 'CA certificate';
  if (!deps.ca)
    return failure(
      name,
      deps.caError ?? 'no CA could be loaded',
      'Create one with `vpnctl ca init`, or import the existing PKI with `vpnctl ca import-easyrsa <dir>`.',
    );
  const left = deps.ca.notAfter.getTime() - deps.clock.now().getTime();
  const detail = `${deps.ca.x509.subject.replace(/\n/g, ', ')}, valid until ${iso(deps.ca.notAfter)} (${days(left)} days)`;
  const rotate =
    'Plan a CA rotation: create a new CA, import it where the VPN trusts client CAs, and re-issue every certificate before this one expires.';
  if (left <= 0)
    return { name, status: 'fail', detail: `${detail}: EXPIRED, so no client certificate verifies`, fix: rotate };
  if (left < CA_FAIL_DAYS * DAY_MS)
    return { name, status: 'fail', detail: `${detail}: every certificate stops working then`, fix: rotate };
  if (left < deps.policy.certDays * DAY_MS)
    return { name, status: 'warn', detail: `${detail}: new certificates are cut short to end with it`, fix: rotate };
  return { name, status: 'pass', detail };
}

async function databaseCheck(deps: DoctorDeps): Promise<Check> {
  return { name: 'DynamoDB', status: 'pass', detail: await deps.database.probe() };
}

async function slackChecks(deps: DoctorDeps): Promise<Check[]> {
  if (!deps.slack) {
    return [
      {
        name: 'Slack token',
        status: 'warn',
        detail: 'SLACK_BOT_TOKEN is not set, so nobody gets reminders, alerts or approval prompts',
        fix: "Set SLACK_BOT_TOKEN to the bot token from the Slack app's OAuth & Permissions page.",
      },
    ];
  }
  const identity = await deps.slack.identity();
  const token: Check = {
    name: 'Slack token',
    status: 'pass',
    detail: `valid: bot user ${identity.botUserId} in ${identity.team}`,
  };
  if (identity.scopes === undefined) {
    return [
      token,
      {
        name: 'Slack scopes',
        status: 'warn',
        detail: "Slack did not report the token's scopes (no x-oauth-scopes header)",
        fix: `Compare the app's bot scopes with manifest.yml: ${deps.requiredScopes.join(', ')}.`,
      },
    ];
  }
  const missing = deps.requiredScopes.filter((scope) => !identity.scopes!.includes(scope));
  if (missing.length === 0)
    return [token, { name: 'Slack scopes', status: 'pass', detail: `all ${deps.requiredScopes.length} present` }];
  return [
    token,
    {
      name: 'Slack scopes',
      status: 'fail',
      detail: `missing ${missing.join(', ')} (the token has ${identity.scopes.join(', ') || 'none'})`,
      fix: `Add ${missing.join(', ')} to the app's bot token scopes (manifest.yml lists them all), reinstall the app, and update SLACK_BOT_TOKEN if it changed.`,
    },
  ];
}

async function clockCheck(deps: DoctorDeps): Promise<Check> {
  const name = 'Clock';
  const ntp = 'Turn on time synchronisation (NTP), e.g. `timedatectl set-ntp true`.';
  if (!deps.time)
    return {
      name,
      status: 'warn',
      detail: 'not checked: no remote service (Slack) is configured to compare with',
      fix: ntp,
    };
  let skewS: number;
  try {
    skewS = await clockSkewS(deps.clock, deps.time);
  } catch (error) {
    return { name, status: 'warn', detail: `not checked: ${messageOf(error)}`, fix: ntp };
  }
  const detail = `${skewText(skewS)} ${deps.time.source}`;
  if (Math.abs(skewS) >= CLOCK_SKEW_FAIL_S)
    return {
      name,
      status: 'fail',
      detail: `${detail}: Slack and AWS refuse requests signed 5 minutes off, and new certificates may not be valid yet`,
      fix: ntp,
    };
  if (Math.abs(skewS) >= CLOCK_SKEW_WARN_S) return { name, status: 'warn', detail, fix: ntp };
  return { name, status: 'pass', detail: `within ${Math.max(1, Math.ceil(Math.abs(skewS)))} s of ${deps.time.source}` };
}

/**
 * Every check at once, in a fixed order: the CA, each endpoint (availability, connect handler, server
 * certificate, the live CRL read back from it), the agents (each one's heartbeat, who acts for each endpoint),
 * DynamoDB, Slack, the clock. Checks run in parallel
 * and never throw: a failure is a line that says what is wrong and how to fix it.
 */
export async function runDoctor(deps: DoctorDeps): Promise<Check[]> {
  const { ca } = deps;
  const perEndpoint =
    ca === undefined
      ? []
      : deps.endpoints.length === 0
        ? [
            Promise.resolve<Check[]>([
              {
                name: 'VPN endpoints',
                status: 'warn',
                detail: 'none configured',
                fix: 'Set VPN_ENDPOINTS (see .env.example).',
              },
            ]),
          ]
        : deps.endpoints.map((endpoint) => endpointChecks({ ...deps, ca }, endpoint));
  const groups = await Promise.all([
    Promise.resolve([caCheck(deps)]),
    ...perEndpoint,
    ...(deps.failureMetrics?.length
      ? [failureMetricChecks({ failureMetrics: deps.failureMetrics, clock: deps.clock })]
      : []),
    ...(ca === undefined ? [] : tlsCryptChecks(deps, deps.endpoints)),
    ...(deps.agents
      ? [
          guard('VPN agents', 'Check the table the agents write their heartbeats to (TABLE_NAME) and its grants.', () =>
            agentChecks({ agents: deps.agents!, clock: deps.clock }),
          ),
        ]
      : []),
    guard('DynamoDB', 'Check DYNAMODB_ENDPOINT or AWS_REGION, TABLE_NAME and the credentials the bot runs with.', () =>
      databaseCheck(deps),
    ),
    guard('Slack token', "Check SLACK_BOT_TOKEN and SLACK_API_URL, and Slack's status page.", () => slackChecks(deps)),
    clockCheck(deps).then((check) => [check]),
  ]);
  return groups.flat();
}

export const worst = (checks: Check[]): CheckStatus =>
  checks.some((check) => check.status === 'fail')
    ? 'fail'
    : checks.some((check) => check.status === 'warn')
      ? 'warn'
      : 'pass';
