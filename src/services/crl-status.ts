import type { CertificateAuthority } from '../pki/ca';
import { parseCrl } from '../pki/crl';
import type { Clock, CrlStateStore, VpnEndpoint } from '../ports';
import { URGENT_DAYS, overdueBelowDays } from './crl-renewal';
import { messageOf } from '../domain/errors';
import { DAY_MS } from '../domain/time';

/** CRL health of one endpoint, as read back from it and compared with our records. */
export interface CrlStatus {
  endpoint: string;
  health: 'ok' | 'warn' | 'fail';
  live?: {
    number?: string;
    entries: number;
    thisUpdate: string;
    nextUpdate?: string;
    signedByOurCa: boolean;
    status?: string;
  };
  daysLeft?: number;
  /**
   * A CRL is published but the endpoint has not applied it yet, and holds none it applied before: an
   * agent-served endpoint until its agent writes the first one, AWS while it imports.
   */
  pending?: boolean;
  recordedNumber?: string;
  publishedAt?: string;
  outstanding: number;
  lastError?: string;
  readError?: string;
  problems: string[];
}

export async function crlStatus(
  deps: {
    ca: CertificateAuthority;
    crlState: CrlStateStore;
    clock: Clock;
    renewBeforeDays: number;
    publishMode?: 'immediate' | 'window';
  },
  endpoint: VpnEndpoint,
): Promise<CrlStatus> {
  const now = deps.clock.now();
  const record = await deps.crlState.getEndpoint(endpoint.key);
  const status: CrlStatus = {
    endpoint: endpoint.key,
    health: 'ok',
    recordedNumber: record?.crlNumber,
    publishedAt: record?.publishedAt,
    outstanding: record ? Math.max(0, record.requested - record.served) : 0,
    lastError: record?.lastError,
    problems: [],
  };
  try {
    const exported = await endpoint.exportCrl();
    if (exported.pem) {
      const parsed = parseCrl(exported.pem, deps.ca);
      status.live = {
        number: parsed.number?.toString(),
        entries: parsed.revocations.length,
        thisUpdate: parsed.thisUpdate.toISOString(),
        nextUpdate: parsed.nextUpdate?.toISOString(),
        signedByOurCa: Boolean(parsed.signedBy?.signatureValid && parsed.signedBy.issuerMatches),
        status: exported.status,
      };
      if (parsed.nextUpdate) status.daysLeft = (parsed.nextUpdate.getTime() - now.getTime()) / DAY_MS;
    } else if (exported.status === 'pending') status.pending = true;
  } catch (error) {
    status.readError = messageOf(error);
  }
  // An OpenVPN CRL is a file, readable whether or not the server that enforces it runs: ask the server too, where it
  // should run.
  const enforcer = await endpoint
    .enforcerHealth?.()
    .catch((error: unknown) => ({ ok: false, detail: String(error), fix: undefined }));
  const down = enforcer && !enforcer.ok ? enforcer : undefined;
  const fail = (problem: string) => {
    status.health = 'fail';
    status.problems.push(problem);
  };
  const warn = (problem: string) => {
    if (status.health === 'ok') status.health = 'warn';
    status.problems.push(problem);
  };
  if (down)
    fail(
      `The OpenVPN server does not answer, so nobody can log in through it (\`/vpn doctor\` says why). ${down.fix ?? 'Start it.'}`,
    );
  if (status.readError) fail('The live CRL could not be read: check the endpoint and permissions.');
  else if (status.pending)
    warn(
      endpoint.kind === 'aws-client-vpn'
        ? 'A CRL is published and AWS is still applying it: check again in a few minutes; if it stays pending, run `vpnctl crl publish`.'
        : 'A CRL is published and waiting for the agent: it applies it within a minute; if it does not, check the agent (`vpnctl doctor`, and `systemctl status vpnctl-agent` on the VPN host).',
    );
  else if (!status.live) fail('The endpoint has no CRL: run `vpnctl crl publish`.');
  else {
    if (!status.live.signedByOurCa)
      fail('The live CRL is not signed by our CA: run `vpnctl crl publish` to replace it.');
    if (status.daysLeft === undefined) fail('The live CRL has no nextUpdate.');
    else if (status.daysLeft <= 0)
      fail('The live CRL has EXPIRED and every connection is refused: run `vpnctl crl publish` now.');
    else if (status.daysLeft < URGENT_DAYS)
      fail(
        `Only ${status.daysLeft.toFixed(1)} days until every connection is refused: run \`vpnctl crl publish\` now.`,
      );
    else if (
      status.daysLeft <
      overdueBelowDays({ renewBeforeDays: deps.renewBeforeDays, publishMode: deps.publishMode ?? 'immediate' })
    ) {
      fail(
        `${status.daysLeft.toFixed(1)} days left and nobody has renewed it: run \`vpnctl crl publish\` now, then check why the daily job did not (\`vpnctl doctor\`).`,
      );
    } else if (status.daysLeft < deps.renewBeforeDays)
      warn(
        `Renewal is due (fewer than ${deps.renewBeforeDays} days left); the daily job renews it, or run \`vpnctl crl publish\`.`,
      );
    if (record?.crlNumber !== undefined && status.live.number !== record.crlNumber)
      warn(`The endpoint holds #${status.live.number ?? '?'}, but our last publish was #${record.crlNumber}.`);
  }
  if (status.outstanding > 0) warn('Revocations are waiting to be published (maintenance window or a failed import).');
  return status;
}
