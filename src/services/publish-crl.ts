import { randomUUID } from 'node:crypto';
import { VpnChatopsError, messageOf } from '../domain/errors';
import type { CertificateAuthority } from '../pki/ca';
import { MAX_CRL_ENTRIES, ParsedCrl, buildCrl, parseCrl } from '../pki/crl';
import type { CertificateRecord } from '../domain/certificate';
import type { Revocation } from '../domain/revocation';
import type { AuditLog, CertificateStore, Clock, CrlStateStore, EndpointCrlRecord, VpnEndpoint } from '../ports';
import { sleep, DAY_MS } from '../domain/time';
import type { PublishOutcome } from '../domain/revocation-report';

/** Database lookups in flight at once while carrying live CRL entries forward. */
const LOOKUP_BATCH = 16;
/** Serials named in one carry-forward audit entry; the count covers the rest. */
const AUDITED_SERIALS = 100;

/** A live CRL entry and what the database holds for its serial. */
type LookedUp = [Revocation, CertificateRecord | undefined];

export interface CrlPublisherDeps {
  ca: CertificateAuthority;
  certificates: CertificateStore;
  crlState: CrlStateStore;
  audit: AuditLog;
  clock: Clock;
  crlDays: number;
  /**
   * Wait this long after taking the lease, so revocations arriving together share one import (each AWS import resets
   * every session).
   */
  coalesceMs?: number;
  leaseMs?: number;
  /** The pauses between read-backs while an imported CRL is not yet served (AWS reports it `pending` first). */
  readBackDelaysMs?: readonly number[];
}

/** About half a minute in all: AWS usually serves an imported CRL within seconds. */
const READ_BACK_DELAYS_MS = [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000];

/** The CA's id for its CRL-number counter: its key id, so a new CA starts a new sequence. */
export const caIdOf = (ca: CertificateAuthority) => ca.keyId.toString('hex');

/**
 * Builds CRLs from the database and imports them, one publisher per endpoint at a time.
 *
 * Every request bumps the endpoint's `requested` counter (its ticket) and carries its serials;
 * whoever holds the endpoint's lease publishes until `served` catches up. A caller that loses the
 * race for the lease waits until a CRL covering its ticket is recorded (or the holder fails, or
 * time runs out), and takes the lease over if it comes free: fifty concurrent revocations end
 * with a CRL that lists all fifty, in a handful of imports.
 */
export class CrlPublisher {
  constructor(private readonly deps: CrlPublisherDeps) {}

  private get leaseMs() {
    return this.deps.leaseMs ?? 120_000;
  }

  request(endpoint: string, serials: string[] = []): Promise<number> {
    return this.deps.crlState.requestPublish(endpoint, serials);
  }

  async publish(endpoint: VpnEndpoint, actor: string, serials: string[] = []): Promise<PublishOutcome> {
    return this.serve(endpoint, actor, await this.request(endpoint.key, serials));
  }

  /** Make sure a CRL covering `ticket` reaches the endpoint, publishing it ourselves when the lease is free. */
  async serve(endpoint: VpnEndpoint, actor: string, ticket: number): Promise<PublishOutcome> {
    const { crlState, clock } = this.deps;
    const since = clock.now().getTime();
    const deadline = Date.now() + 2 * this.leaseMs;
    let ours: PublishOutcome | undefined;
    for (;;) {
      const drained = await this.drain(endpoint, actor);
      if (drained !== 'busy') {
        if (drained.outcome === 'failed') return drained;
        ours = drained;
      }
      const record = await crlState.getEndpoint(endpoint.key);
      if (!record || record.served >= ticket)
        return ours ?? { endpoint: endpoint.key, outcome: 'coalesced', crlNumber: record?.crlNumber };
      if (drained === 'busy' && record.lastError && record.lastErrorAt && Date.parse(record.lastErrorAt) >= since) {
        return { endpoint: endpoint.key, outcome: 'failed', error: record.lastError };
      }
      if (Date.now() > deadline)
        return {
          endpoint: endpoint.key,
          outcome: 'queued',
          reason: 'another publisher holds the endpoint and has not finished',
        };
      if (drained === 'busy') await sleep(200);
    }
  }

  /** Publish while requests are outstanding, if nobody else holds the lease. */
  private async drain(endpoint: VpnEndpoint, actor: string): Promise<PublishOutcome | 'busy'> {
    const { crlState } = this.deps;
    const owner = randomUUID();
    if (!(await crlState.acquireLease(endpoint.key, owner, this.leaseMs))) return 'busy';
    let last: PublishOutcome = { endpoint: endpoint.key, outcome: 'coalesced' };
    try {
      const outstanding = async () => {
        const record = await crlState.getEndpoint(endpoint.key);
        return record && record.served < record.requested ? record : undefined;
      };
      // Nothing to wait for when a publisher that just let go already served every request.
      if (this.deps.coalesceMs && (await outstanding())) await sleep(this.deps.coalesceMs);
      for (let round = 0; round < 10; round++) {
        const record = await outstanding();
        if (!record) break;
        last = await this.publishOnce(endpoint, record, actor, owner);
        if (last.outcome === 'failed') break;
      }
    } finally {
      await crlState.releaseLease(endpoint.key, owner);
    }
    return last;
  }

  private async publishOnce(
    endpoint: VpnEndpoint,
    record: EndpointCrlRecord,
    actor: string,
    owner: string,
  ): Promise<PublishOutcome> {
    const { ca, crlState, audit, clock, crlDays } = this.deps;
    const caId = caIdOf(ca);
    try {
      const now = clock.now();
      // RFC 5280 §3.3: an expired certificate stays on the first CRL issued after its expiry, then
      // leaves. A first CRL (or the first from a new CA) needs no expired entries at all.
      const cutoff = record.thisUpdate && record.caId === caId ? new Date(record.thisUpdate) : now;
      const revocations = await this.revocationsFor(record, cutoff);
      let number = await crlState.nextCrlNumber(caId);
      const live = await endpoint.exportCrl();
      const liveCrl = live.pem ? this.ours(live.pem) : undefined;
      if (liveCrl?.number !== undefined && liveCrl.number >= number) {
        // Either another publisher got there first (then it holds the lease now), or the endpoint keeps
        // a CRL of ours from before the counter restarted (a recreated table, a deleted local database).
        // Refusing the second case forever would let that CRL expire: number past it instead.
        if (!(await crlState.renewLease(endpoint.key, owner, this.leaseMs))) {
          throw new VpnChatopsError(
            'CONFLICT',
            `${endpoint.key} already holds CRL #${liveCrl.number}, newer than #${number}; not replacing it with an older one.`,
          );
        }
        number = await crlState.nextCrlNumber(caId, liveCrl.number);
      }
      if (liveCrl)
        revocations.push(...(await this.carryForward(endpoint.key, liveCrl, revocations, cutoff, actor, owner)));
      if (revocations.length > MAX_CRL_ENTRIES) {
        throw new VpnChatopsError(
          'CRL_TOO_LARGE',
          `${revocations.length.toLocaleString('en-US')} unexpired revoked certificates exceed the AWS Client VPN limit of ${MAX_CRL_ENTRIES.toLocaleString('en-US')} CRL entries. Revocations stay recorded and the database gate keeps refusing them; shorten CERT_DAYS or move to a new CA to get under the limit.`,
        );
      }
      const crl = buildCrl({ ca, number, revocations, now, days: crlDays });
      this.verifyLocally(
        crl.pem,
        number,
        revocations.map((r) => r.serial),
        now,
      );

      // A publisher that stalled past its lease must not import over whoever took over.
      if (!(await crlState.renewLease(endpoint.key, owner, this.leaseMs))) {
        throw new VpnChatopsError(
          'CONFLICT',
          `Lost the publishing lease on ${endpoint.key} while building CRL #${number}; the new holder publishes instead.`,
        );
      }
      await endpoint.importCrl(crl.pem);
      const readBack = await this.awaitServed(endpoint, crl.pem, number);
      const listed = revocations.map((r) => r.serial);
      const recorded = await crlState.recordPublished(endpoint.key, {
        caId,
        served: record.requested,
        crlNumber: number,
        thisUpdate: crl.thisUpdate,
        nextUpdate: crl.nextUpdate,
        entries: crl.entries,
        at: now,
        listed: record.pending.filter((serial) => listed.includes(serial)),
      });
      if (!recorded)
        throw new VpnChatopsError('CONFLICT', `A newer CRL than #${number} is already recorded for ${endpoint.key}.`);
      await audit.append({
        actor,
        action: 'crl.publish',
        target: endpoint.key,
        outcome: readBack.served ? 'success' : 'partial',
        at: now,
        details: {
          crlNumber: String(number),
          entries: crl.entries,
          nextUpdate: crl.nextUpdate.toISOString(),
          status: readBack.status,
          ...(readBack.served
            ? {}
            : {
                readBack: `imported, but the endpoint still served CRL #${readBack.number ?? 'none'} (${readBack.status ?? 'no status'}) when we stopped waiting; the daily drift check compares it again`,
              }),
        },
      });
      return {
        endpoint: endpoint.key,
        outcome: 'published',
        crlNumber: number,
        entries: crl.entries,
        nextUpdate: crl.nextUpdate,
      };
    } catch (error) {
      const message = messageOf(error);
      const at = clock.now();
      // The request stays outstanding (served < requested): the next publish or the daily job retries it.
      await crlState.recordFailure(endpoint.key, message, at);
      await audit.append({
        actor,
        action: 'crl.publish',
        target: endpoint.key,
        outcome: 'failure',
        at,
        details: { error: message },
      });
      return { endpoint: endpoint.key, outcome: 'failed', error: message };
    }
  }

  /**
   * After an import, read back (bounded) until the endpoint serves exactly that CRL as active. A read-back
   * that stays stale is reported, not treated as a failed import: importing again would reset every AWS
   * session once more, and the daily drift check compares the live CRL with our records anyway.
   */
  private async awaitServed(
    endpoint: VpnEndpoint,
    pem: string,
    number: bigint,
  ): Promise<{ served: boolean; number?: bigint; status?: string }> {
    const delays = this.deps.readBackDelaysMs ?? READ_BACK_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      const live = await endpoint.exportCrl();
      const liveNumber = live.pem === pem ? number : live.pem ? this.ourNumber(live.pem) : undefined;
      if (liveNumber === number && (live.status === undefined || live.status === 'active'))
        return { served: true, number, status: live.status };
      if (liveNumber !== undefined && liveNumber > number) {
        throw new VpnChatopsError(
          'CONFLICT',
          `${endpoint.key} reports CRL #${liveNumber} after importing #${number}: a newer CRL was imported meanwhile.`,
        );
      }
      if (attempt >= delays.length) return { served: false, number: liveNumber, status: live.status };
      await sleep(delays[attempt]);
    }
  }

  /**
   * The revoked index is eventually consistent; the serials carried by the requests are read
   * directly (strongly consistent), so a revocation that just happened is never left off.
   */
  private async revocationsFor(record: EndpointCrlRecord, cutoff: Date): Promise<Revocation[]> {
    const revocations = await this.deps.certificates.revocationsForCrl(cutoff);
    const listed = new Set(revocations.map((r) => r.serial));
    for (const serial of record.pending.filter((s) => !listed.has(s))) {
      const certificate = await this.deps.certificates.get(serial);
      if (
        certificate?.status === 'revoked' &&
        certificate.revokedAt &&
        certificate.reason &&
        certificate.notAfter > cutoff
      ) {
        revocations.push({ serial, revokedAt: certificate.revokedAt, reason: certificate.reason });
      }
    }
    return revocations;
  }

  /**
   * A serial our CA revoked stays revoked. An entry of our live CRL that the new one would leave out is
   * kept when the database holds it as revoked and unexpired at the cutoff (the revoked index lags on real
   * DynamoDB, and `pending` forgets a serial once a CRL lists it), and kept and recorded again when the
   * database does not hold it as revoked (a recreated table, a restored backup). Only the database's own
   * pruning (revoked, and expired by the cutoff) removes an entry.
   */
  private async carryForward(
    endpointKey: string,
    live: ParsedCrl,
    revocations: Revocation[],
    cutoff: Date,
    actor: string,
    owner: string,
  ): Promise<Revocation[]> {
    const listed = new Set(revocations.map((r) => r.serial));
    const looked = await this.recordUnrecorded(
      endpointKey,
      live,
      live.revocations.filter((r) => !listed.has(r.serial)),
      actor,
      owner,
    );
    return looked
      .filter(([, record]) => record?.status !== 'revoked' || record.notAfter > cutoff)
      .map(([entry]) => entry);
  }

  /**
   * The daily job's repair without an import: entries of our live CRL that the database does not hold
   * as revoked are recorded again, so the gate refuses them too. The live CRL already lists them, so
   * nothing needs publishing (and on AWS an import would reset every session). Returns their serials.
   */
  async recordLiveRevocations(endpointKey: string, live: ParsedCrl, actor: string): Promise<string[]> {
    const revoked = new Set((await this.deps.certificates.revocationsForCrl(new Date(0))).map((r) => r.serial));
    const looked = await this.recordUnrecorded(
      endpointKey,
      live,
      live.revocations.filter((r) => !revoked.has(r.serial)),
      actor,
    );
    return looked.filter(([, record]) => record?.status !== 'revoked').map(([entry]) => entry.serial);
  }

  /**
   * Looks the entries up (strongly consistent, a batch at a time, keeping the publishing lease alive when
   * we hold it) and records as revoked those the database does not hold as revoked. Returns every lookup,
   * as it was before recording.
   */
  private async recordUnrecorded(
    endpointKey: string,
    live: ParsedCrl,
    entries: Revocation[],
    actor: string,
    owner?: string,
  ): Promise<LookedUp[]> {
    const looked: LookedUp[] = [];
    for (let i = 0; i < entries.length; i += LOOKUP_BATCH) {
      const batch = entries.slice(i, i + LOOKUP_BATCH);
      const records = await Promise.all(batch.map((entry) => this.deps.certificates.get(entry.serial)));
      batch.forEach((entry, index) => looked.push([entry, records[index]]));
      if (owner) await this.keepLease(endpointKey, owner);
    }
    await this.record(
      endpointKey,
      live,
      looked.filter(([, record]) => record?.status !== 'revoked'),
      actor,
      owner,
    );
    return looked;
  }

  private async record(
    endpointKey: string,
    live: ParsedCrl,
    unrecorded: LookedUp[],
    actor: string,
    owner?: string,
  ): Promise<void> {
    if (!unrecorded.length) return;
    const { certificates, audit, ca, clock } = this.deps;
    const from = `CRL #${live.number ?? 'unnumbered'} on ${endpointKey}`;
    const known = unrecorded.filter(([, record]) => record !== undefined) as [Revocation, CertificateRecord][];
    for (let i = 0; i < known.length; i += LOOKUP_BATCH) {
      await Promise.all(
        known.slice(i, i + LOOKUP_BATCH).map(async ([entry, record]) => {
          const revoked = await certificates.markRevoked(entry.serial, {
            revokedAt: entry.revokedAt,
            reason: entry.reason,
            actor,
          });
          if (!revoked) return;
          await audit.append({
            actor,
            action: 'certificate.revoke',
            target: record.slackId ?? record.serial,
            outcome: 'success',
            at: clock.now(),
            details: { serial: record.serial, cn: record.cn, reason: entry.reason, carriedForwardFrom: from },
          });
        }),
      );
      if (owner) await this.keepLease(endpointKey, owner);
    }
    const unknown: CertificateRecord[] = unrecorded
      .filter(([, record]) => record === undefined)
      .map(([entry]) => ({
        serial: entry.serial,
        cn: `unknown-${entry.serial}`,
        status: 'revoked',
        source: 'crl',
        issuedBy: actor,
        issuedAt: entry.revokedAt,
        notBefore: entry.revokedAt,
        // Its expiry is unknown; it cannot outlive the CA, so it stays listed until then (or until an import replaces
        // it).
        notAfter: ca.notAfter,
        revokedAt: entry.revokedAt,
        reason: entry.reason,
        revokedBy: actor,
      }));
    await certificates.importMany(unknown);
    await audit.append({
      actor,
      action: 'crl.carry-forward',
      target: endpointKey,
      outcome: 'success',
      at: clock.now(),
      details: {
        from,
        serials: unrecorded.length,
        unknownToDatabase: unknown.length,
        ...(unknown.length && {
          unknownSerials: unknown.slice(0, AUDITED_SERIALS).map((r) => r.serial),
          more: Math.max(0, unknown.length - AUDITED_SERIALS),
        }),
        note: "revoked on the endpoint's CRL but not in the database: recorded as revoked again and kept on every new CRL",
      },
    });
  }

  private async keepLease(endpointKey: string, owner: string): Promise<void> {
    if (!(await this.deps.crlState.renewLease(endpointKey, owner, this.leaseMs))) {
      throw new VpnChatopsError(
        'CONFLICT',
        `Lost the publishing lease on ${endpointKey} while reading the live CRL's entries; the new holder publishes instead.`,
      );
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
      (!parsed.nextUpdate || parsed.nextUpdate.getTime() - now.getTime() < (this.deps.crlDays - 1) * DAY_MS) &&
        'nextUpdate is too close',
    ].filter(Boolean);
    if (problems.length)
      throw new VpnChatopsError(
        'INVALID_CRL',
        `The new CRL failed its own check (${problems.join('; ')}); nothing was imported.`,
      );
  }

  /** A CRL our CA signed, with its entries; a foreign or unsigned CRL counts as none. */
  private ours(pem: string): ParsedCrl | undefined {
    let parsed: ParsedCrl;
    try {
      parsed = parseCrl(pem, this.deps.ca);
    } catch (error) {
      // Replacing a CRL our key signed without reading its entries could drop revocations.
      if (this.ourNumber(pem) !== undefined) {
        throw new VpnChatopsError(
          'INVALID_CRL',
          `The live CRL is signed by our CA but its entries cannot be read (${(error as Error).message}); not replacing it, as that could drop revocations. Find out what else signs CRLs with this CA's key.`,
        );
      }
      return undefined;
    }
    return parsed.signedBy?.signatureValid ? parsed : undefined;
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
