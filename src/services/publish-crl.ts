import { randomUUID } from 'node:crypto';
import { VpnChatopsError } from '../domain/errors';
import type { CertificateAuthority } from '../pki/ca';
import { MAX_CRL_ENTRIES, buildCrl, parseCrl } from '../pki/crl';
import type { AuditLog, CertificateStore, Clock, CrlStateStore, VpnEndpoint } from '../ports';

const DAY_MS = 86_400_000;

export type PublishOutcome =
  | { endpoint: string; outcome: 'published'; crlNumber: bigint; entries: number; nextUpdate: Date }
  /** Another publisher holds the endpoint's lease and will include this request before it lets go. */
  | { endpoint: string; outcome: 'coalesced' }
  | { endpoint: string; outcome: 'failed'; error: string };

export interface CrlPublisherDeps {
  ca: CertificateAuthority;
  certificates: CertificateStore;
  crlState: CrlStateStore;
  audit: AuditLog;
  clock: Clock;
  crlDays: number;
  /** Wait this long after taking the lease, so revocations arriving together share one import (each AWS import resets every session). */
  coalesceMs?: number;
  leaseMs?: number;
}

/** The CA's id for its CRL-number counter: its key id, so a new CA starts a new sequence. */
export const caIdOf = (ca: CertificateAuthority) => ca.keyId.toString('hex');

/**
 * Builds CRLs from the database and imports them, one publisher per endpoint at a time.
 *
 * Every request bumps the endpoint's `requested` counter and then competes for its lease. The
 * holder keeps publishing until `served` has caught up with `requested`, and checks once more after
 * letting go, so a request that lost the race for the lease is always served by someone: fifty
 * concurrent revocations end with one CRL that lists all fifty.
 */
export class CrlPublisher {
  constructor(private readonly deps: CrlPublisherDeps) {}

  async publish(endpoint: VpnEndpoint, actor: string): Promise<PublishOutcome> {
    await this.deps.crlState.requestPublish(endpoint.key);
    return this.drain(endpoint, actor);
  }

  /** Serve outstanding requests for `endpoint` if nobody else is; safe to call any time. */
  async drain(endpoint: VpnEndpoint, actor: string): Promise<PublishOutcome> {
    const { crlState } = this.deps;
    let last: PublishOutcome = { endpoint: endpoint.key, outcome: 'coalesced' };
    for (let pass = 0; pass < 5; pass++) {
      const owner = randomUUID();
      if (!(await crlState.acquireLease(endpoint.key, owner, this.deps.leaseMs ?? 120_000))) return last;
      try {
        if (this.deps.coalesceMs) await new Promise((resolve) => setTimeout(resolve, this.deps.coalesceMs));
        for (let round = 0; round < 10; round++) {
          const record = await crlState.getEndpoint(endpoint.key);
          if (!record || record.served >= record.requested) break;
          last = await this.publishOnce(endpoint, record.requested, record.thisUpdate, actor);
          if (last.outcome === 'failed') return last;
        }
      } finally {
        await crlState.releaseLease(endpoint.key, owner);
      }
      const after = await crlState.getEndpoint(endpoint.key);
      if (!after || after.served >= after.requested) return last;
    }
    return last;
  }

  private async publishOnce(endpoint: VpnEndpoint, snapshot: number, previousThisUpdate: string | undefined, actor: string): Promise<PublishOutcome> {
    const { ca, certificates, crlState, audit, clock, crlDays } = this.deps;
    try {
      // RFC 5280 §3.3: an expired certificate stays on the first CRL issued after its expiry, then leaves.
      const cutoff = previousThisUpdate ? new Date(previousThisUpdate) : new Date(0);
      const revocations = await certificates.revocationsForCrl(cutoff);
      if (revocations.length > MAX_CRL_ENTRIES) {
        throw new VpnChatopsError(
          'CRL_TOO_LARGE',
          `${revocations.length.toLocaleString('en-US')} unexpired revoked certificates exceed the AWS Client VPN limit of ${MAX_CRL_ENTRIES.toLocaleString('en-US')} CRL entries. Revocations stay recorded and the database gate keeps refusing them; shorten CERT_DAYS or move to a new CA to get under the limit.`,
        );
      }
      const number = await crlState.nextCrlNumber(caIdOf(ca));
      const now = clock.now();
      const crl = buildCrl({ ca, number, revocations, now, days: crlDays });
      this.verifyLocally(crl.pem, number, revocations.map((r) => r.serial), now);

      const live = await endpoint.exportCrl();
      const liveNumber = live.pem ? this.ourNumber(live.pem) : undefined;
      if (liveNumber !== undefined && liveNumber >= number) {
        throw new VpnChatopsError('CONFLICT', `${endpoint.key} already holds CRL #${liveNumber}, newer than #${number}; not replacing it with an older one.`);
      }
      await endpoint.importCrl(crl.pem);
      const readBack = await endpoint.exportCrl();
      const readNumber = readBack.pem === crl.pem ? number : readBack.pem ? this.ourNumber(readBack.pem) : undefined;
      if (readNumber !== number) {
        throw new VpnChatopsError('ENDPOINT', `${endpoint.key} reports CRL #${readNumber ?? 'none'} after importing #${number}.`);
      }
      await crlState.recordPublished(endpoint.key, { served: snapshot, crlNumber: number, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, entries: crl.entries, at: now });
      await audit.append({
        actor,
        action: 'crl.publish',
        target: endpoint.key,
        outcome: 'success',
        at: now,
        details: { crlNumber: String(number), entries: crl.entries, nextUpdate: crl.nextUpdate.toISOString(), status: readBack.status },
      });
      return { endpoint: endpoint.key, outcome: 'published', crlNumber: number, entries: crl.entries, nextUpdate: crl.nextUpdate };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const at = clock.now();
      // The request stays outstanding (served < requested): the next publish or the daily job retries it.
      await crlState.recordFailure(endpoint.key, message, at);
      await audit.append({ actor, action: 'crl.publish', target: endpoint.key, outcome: 'failure', at, details: { error: message } });
      return { endpoint: endpoint.key, outcome: 'failed', error: message };
    }
  }

  /** Never import what we have not read back ourselves: signature, issuer, number, entries, lifetime. */
  private verifyLocally(pem: string, number: bigint, serials: string[], now: Date): void {
    const parsed = parseCrl(pem, this.deps.ca);
    const listed = new Set(parsed.revocations.map((r) => r.serial));
    const problems = [
      !parsed.signedBy?.signatureValid && 'signature does not verify',
      !parsed.signedBy?.issuerMatches && 'issuer differs from the CA subject',
      parsed.number !== number && `number is ${parsed.number}, expected ${number}`,
      serials.some((serial) => !listed.has(serial)) && 'a revoked serial is missing',
      (!parsed.nextUpdate || parsed.nextUpdate.getTime() - now.getTime() < (this.deps.crlDays - 1) * DAY_MS) && 'nextUpdate is too close',
    ].filter(Boolean);
    if (problems.length) throw new VpnChatopsError('INVALID_CRL', `The new CRL failed its own check (${problems.join('; ')}); nothing was imported.`);
  }

  /** The number of a CRL our CA signed; a foreign or unsigned CRL counts as none. */
  private ourNumber(pem: string): bigint | undefined {
    try {
      const parsed = parseCrl(pem, this.deps.ca, { entries: false });
      return parsed.signedBy?.signatureValid ? parsed.number : undefined;
    } catch {
      return undefined;
    }
  }
}
