import type { CertificateRecord } from './certificate';

/** What publishing a CRL to one endpoint came to (services/publish-crl.ts). */
export type PublishOutcome =
  | { endpoint: string; outcome: 'published'; crlNumber: bigint; entries: number; nextUpdate: Date }
  /** Another publisher's CRL already includes this request (confirmed, not assumed). */
  | { endpoint: string; outcome: 'coalesced'; crlNumber?: string }
  /** Not confirmed in time: the request stays outstanding and the next publish or the daily job serves it. */
  | { endpoint: string; outcome: 'queued'; reason: string }
  | { endpoint: string; outcome: 'failed'; error: string };

/** What ending the sessions on one endpoint did: reported per endpoint, never thrown. */
export interface SessionStep {
  endpoint: string;
  terminated: number;
  error?: string;
}

export type CrlStep = PublishOutcome | { endpoint: string; outcome: 'deferred'; until: Date };

/**
 * A certificate this run could not finish: `revoke`, it is still active (running the same revocation
 * again finishes it); `audit`, it is revoked but its audit entry could not be written.
 */
export interface RevocationFailure {
  serial: string;
  cn: string;
  step: 'revoke' | 'audit';
  error: string;
}

/** What happened to each of the three ways access ends, and what is left. */
export interface RevocationReport {
  revoked: Pick<CertificateRecord, 'serial' | 'cn' | 'notAfter'>[];
  alreadyRevoked: string[];
  failed: RevocationFailure[];
  sessions: SessionStep[];
  crl: CrlStep[];
}
