import type { CertificateAuthority } from '../pki/ca';
import { MAX_CRL_ENTRIES, ParsedCrl, parseCrl } from '../pki/crl';
import type { EndpointCrlRecord, ManagementAccess, VpnEndpoint } from '../ports';
import { Check, DoctorDeps, days, guard, iso } from './doctor-check';
import { overdueBelowDays } from './crl-renewal';
import { tlsCryptV2KeyCheck } from './doctor-tls-crypt-v2-key';
import { DAY_MS } from '../domain/time';

const SERVER_CERT_FAIL_DAYS = 14;
const SERVER_CERT_WARN_DAYS = 30;
const QUOTA_WARN = 0.8;
const QUOTA_FAIL = 0.95;
/** AWS invokes only functions with this prefix (its service-linked role may call nothing else). */
const HANDLER_PREFIX = 'AWSClientVPN-';

type Deps = DoctorDeps & { ca: CertificateAuthority };

/** Whether the endpoint answers and, for a self-hosted one, whether its management interface is guarded. */
export async function availability(endpoint: VpnEndpoint): Promise<Check[]> {
  const health = await endpoint.health();
  const fix =
    endpoint.kind === 'aws-client-vpn'
      ? 'Open the endpoint in the VPC console: it must be available, with a target network (subnet) associated.'
      : 'Start the OpenVPN server with the --management address and --crl-verify file that VPN_ENDPOINTS names.';
  const check: Check = health.ok
    ? { name: `${endpoint.key}: endpoint`, status: 'pass', detail: health.detail }
    : { name: `${endpoint.key}: endpoint`, status: 'fail', detail: health.detail, fix: health.fix ?? fix };
  return health.management ? [check, managementAccess(endpoint, health.management)] : [check];
}

/**
 * A management interface that takes commands from anyone who reaches it lets them approve any login or end any session.
 */
function managementAccess(endpoint: VpnEndpoint, access: ManagementAccess): Check {
  const name = `${endpoint.key}: management access`;
  const risk = 'can approve any login (client-auth-nt, bypassing Slack) or end any session';
  const fix = `Give the server's --management line a password file (mode 0600) and set "managementPasswordFile" to it in VPN_ENDPOINTS, or use a Unix socket (--management /run/openvpn/mgmt.sock unix, management "unix:/run/openvpn/mgmt.sock").`;
  if (access.passwordProtected) return { name, status: 'pass', detail: `${access.address} asks for a password` };
  if (access.transport === 'unix') {
    return access.openToAllUsers
      ? {
          name,
          status: 'warn',
          detail: `the socket ${access.address} lets every local user connect, and asks for no password: any of them ${risk}`,
          fix: `Make the socket reachable only by OpenVPN's and the agent's user (OpenVPN 2.6: --management-client-user / --management-client-group), or give it a password file. ${fix}`,
        }
      : {
          name,
          status: 'pass',
          detail: `the socket ${access.address} asks for no password; its file permissions guard it`,
        };
  }
  return {
    name,
    status: 'warn',
    detail: `${access.address} takes commands without a password: anyone who can reach it (every local user on the host) ${risk}`,
    fix,
  };
}

async function connectHandler(
  deps: Deps,
  endpoint: VpnEndpoint,
  read: NonNullable<VpnEndpoint['connectHandler']>,
): Promise<Check> {
  const name = `${endpoint.key}: connect handler`;
  const state = await read();
  const functionName = state.functionArn?.split(':function:')[1]?.split(':')[0];
  if (!state.enabled) {
    const why = 'logins are not approved in Slack, and a revoked certificate is refused only once the CRL lists it';
    return {
      name,
      status: deps.policy.publishMode === 'window' ? 'fail' : 'warn',
      detail:
        deps.policy.publishMode === 'window'
          ? `not attached: ${why}, which window mode defers`
          : `not attached: ${why}`,
      fix: `Enable the client connect handler on the endpoint with the deployment's ${HANDLER_PREFIX}… function.`,
    };
  }
  if (!functionName?.startsWith(HANDLER_PREFIX)) {
    return {
      name,
      status: 'fail',
      detail: `attached to ${state.functionArn ?? 'no function'}, which AWS will not invoke`,
      fix: `Attach a Lambda function whose name starts with ${HANDLER_PREFIX} (the deployment's connect handler).`,
    };
  }
  if (state.status !== undefined && state.status !== 'applied') {
    return {
      name,
      status: 'warn',
      detail: `${functionName} is still ${state.status}`,
      fix: 'Wait a few minutes and run doctor again; AWS is applying the change.',
    };
  }
  return { name, status: 'pass', detail: `${functionName} is attached` };
}

async function serverCertificate(
  deps: Deps,
  endpoint: VpnEndpoint,
  read: NonNullable<VpnEndpoint['serverCertificate']>,
): Promise<Check> {
  const name = `${endpoint.key}: server certificate`;
  const certificate = await read();
  if (!certificate) {
    return {
      name,
      status: 'warn',
      detail: 'not checked: serverCertFile is not set for this endpoint',
      fix: 'Add "serverCertFile" (the server\'s --cert file) to this endpoint in VPN_ENDPOINTS.',
    };
  }
  const left = certificate.notAfter.getTime() - deps.clock.now().getTime();
  const what = `${certificate.subject ?? certificate.location}, valid until ${iso(certificate.notAfter)}`;
  const fix =
    endpoint.kind === 'aws-client-vpn'
      ? `Renew the server certificate, re-import it into ACM (${certificate.location}) and point the endpoint at it if its ARN changed.`
      : `Issue a new server certificate into ${certificate.location} and restart OpenVPN.`;
  const unusable = certificate.status !== undefined && certificate.status !== 'ISSUED';
  if (left <= 0 || unusable)
    return {
      name,
      status: 'fail',
      detail: `${what}: ${unusable ? certificate.status : 'EXPIRED'}, so no client can connect`,
      fix,
    };
  if (left < SERVER_CERT_FAIL_DAYS * DAY_MS)
    return { name, status: 'fail', detail: `${what}: ${days(left)} days left, then no client can connect`, fix };
  if (left < SERVER_CERT_WARN_DAYS * DAY_MS)
    return { name, status: 'warn', detail: `${what}: ${days(left)} days left`, fix };
  return { name, status: 'pass', detail: `${what} (${days(left)} days)` };
}

function crlExpiry(deps: Deps, endpoint: VpnEndpoint, live: ParsedCrl, record: EndpointCrlRecord | undefined): Check {
  const name = `${endpoint.key}: CRL expiry`;
  const publish = 'Run `vpnctl crl publish` now (or press Publish now under `/vpn crl`)';
  if (!live.nextUpdate)
    return {
      name,
      status: 'fail',
      detail: 'the live CRL has no nextUpdate',
      fix: `${publish} to replace it with one of ours.`,
    };
  const left = live.nextUpdate.getTime() - deps.clock.now().getTime();
  const when = `nextUpdate ${iso(live.nextUpdate)}`;
  const lastError = record?.lastError ? ` Last publish error: ${record.lastError}.` : '';
  if (left <= 0)
    return {
      name,
      status: 'fail',
      detail: `EXPIRED (${when}): every VPN connection is refused until a new CRL is imported.${lastError}`,
      fix: `${publish}: connections work again as soon as it lands.`,
    };
  if (left < overdueBelowDays(deps.policy) * DAY_MS) {
    return {
      name,
      status: 'fail',
      detail: `expires in ${days(left)} days (${when}) and nobody has renewed it; when it expires every VPN connection is refused.${lastError}`,
      fix: `${publish}, then find out why the daily job did not renew it: it renews at ${deps.policy.renewBeforeDays} days left.`,
    };
  }
  if (left < deps.policy.renewBeforeDays * DAY_MS) {
    const when2 = deps.policy.publishMode === 'window' ? 'in the next maintenance window' : 'on its next run';
    return {
      name,
      status: 'warn',
      detail: `expires in ${days(left)} days (${when}); renewal is due`,
      fix: `Nothing to do if the daily job runs: it renews the CRL ${when2} (\`vpnctl crl publish\` renews it now).`,
    };
  }
  return { name, status: 'pass', detail: `${days(left)} days left (${when})` };
}

function crlSignature(endpoint: VpnEndpoint, live: ParsedCrl): Check {
  const name = `${endpoint.key}: CRL signature`;
  if (live.signedBy?.signatureValid && live.signedBy.issuerMatches)
    return { name, status: 'pass', detail: 'signed by our CA' };
  const why = live.signedBy?.issuerMatches
    ? 'names our CA but its signature does not verify'
    : `is issued by ${live.issuer}, not our CA`;
  return {
    name,
    status: 'fail',
    detail: `the live CRL ${why}: our revocations are not on it`,
    fix: 'Run `vpnctl crl publish` to replace it with a CRL signed by our CA.',
  };
}

function crlVersusRecord(endpoint: VpnEndpoint, live: ParsedCrl, record: EndpointCrlRecord | undefined): Check {
  const name = `${endpoint.key}: CRL vs last publish`;
  const held = `#${live.number ?? 'unnumbered'}`;
  const publish = 'Run `vpnctl crl publish` so the endpoint holds the CRL our database describes.';
  if (record?.crlNumber === undefined)
    return { name, status: 'warn', detail: `the endpoint holds ${held}, but we never published to it`, fix: publish };
  const ours = BigInt(record.crlNumber);
  if (live.number === undefined || live.number < ours) {
    return {
      name,
      status: 'fail',
      detail: `the endpoint holds ${held}, older than our last publish #${record.crlNumber}: certificates revoked since may still connect`,
      fix: publish,
    };
  }
  if (live.number !== ours)
    return {
      name,
      status: 'warn',
      detail: `the endpoint holds ${held}, but our last publish was #${record.crlNumber}: someone else imported a CRL`,
      fix: publish,
    };
  const outstanding = Math.max(0, record.requested - record.served);
  if (outstanding > 0) {
    const why = record.lastError ? `last attempt failed: ${record.lastError}` : 'waiting for the maintenance window';
    return {
      name,
      status: 'warn',
      detail: `${held} as published, with ${outstanding} publish request(s) outstanding (${why})`,
      fix: 'The daily job publishes them; `vpnctl crl publish` does it now (on AWS every import resets all connections).',
    };
  }
  return {
    name,
    status: 'pass',
    detail: `${held}, as published ${record.publishedAt ? `at ${record.publishedAt}` : 'by us'}`,
  };
}

function crlSize(endpoint: VpnEndpoint, live: ParsedCrl): Check {
  const name = `${endpoint.key}: CRL size`;
  const count = live.revocations.length;
  const detail = `${count.toLocaleString('en-US')} of ${MAX_CRL_ENTRIES.toLocaleString('en-US')} entries (the AWS quota)`;
  const fix =
    'Revoked certificates drop off the CRL when they expire: lower CERT_DAYS so they age out sooner, or rotate to a new CA.';
  if (count >= MAX_CRL_ENTRIES * QUOTA_FAIL)
    return { name, status: 'fail', detail: `${detail}: soon no revocation can be published`, fix };
  if (count >= MAX_CRL_ENTRIES * QUOTA_WARN) return { name, status: 'warn', detail, fix };
  return { name, status: 'pass', detail };
}

/** The live CRL, read back from the endpoint (not our record of it), judged four ways. */
async function crlChecks(deps: Deps, endpoint: VpnEndpoint): Promise<Check[]> {
  const exported = await endpoint.exportCrl();
  if (!exported.pem && exported.status === 'pending') {
    return [
      {
        name: `${endpoint.key}: CRL`,
        status: 'warn',
        detail: 'a CRL is published, not yet applied by the endpoint (pending)',
        fix: 'An agent applies it within a minute and AWS within a few; if it stays pending, check the endpoint (for an agent: `systemctl status vpnctl-agent` on its host).',
      },
    ];
  }
  if (!exported.pem) {
    return [
      {
        name: `${endpoint.key}: CRL`,
        status: 'fail',
        detail: 'the endpoint has no CRL',
        fix: 'Run `vpnctl crl publish` to put one there.',
      },
    ];
  }
  const live = parseCrl(exported.pem, deps.ca);
  const record = await deps.crlState.getEndpoint(endpoint.key);
  return [
    crlExpiry(deps, endpoint, live, record),
    crlSignature(endpoint, live),
    crlVersusRecord(endpoint, live, record),
    crlSize(endpoint, live),
  ];
}

export async function endpointChecks(deps: Deps, endpoint: VpnEndpoint): Promise<Check[]> {
  const { key } = endpoint;
  const handler = endpoint.connectHandler?.bind(endpoint);
  const certificate = endpoint.serverCertificate?.bind(endpoint);
  const groups = await Promise.all([
    guard(`${key}: endpoint`, 'Check VPN_ENDPOINTS and that the endpoint answers.', () => availability(endpoint)),
    handler
      ? guard(`${key}: connect handler`, 'Check the endpoint in the VPC console.', () =>
          connectHandler(deps, endpoint, handler),
        )
      : [],
    certificate
      ? guard(`${key}: server certificate`, 'Check where the endpoint keeps its server certificate.', () =>
          serverCertificate(deps, endpoint, certificate),
        )
      : [],
    guard(`${key}: CRL`, 'Check that the endpoint answers, then run `vpnctl crl status`.', () =>
      crlChecks(deps, endpoint),
    ),
    tlsCryptV2KeyCheck(endpoint),
  ]);
  return groups.flat();
}
