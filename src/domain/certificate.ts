import type { RevocationReason } from './revocation';

/** `expired` is never stored: it is derived from notAfter when a record is read (see effectiveStatus). */
export type CertificateStatus = 'active' | 'revoked' | 'suspended' | 'expired';
export type StoredStatus = Exclude<CertificateStatus, 'expired'>;

/** What we keep about a certificate. Never its private key. */
export interface CertificateRecord {
  serial: string;
  cn: string;
  /** Absent for legacy (e.g. Easy-RSA) CNs that carry no Slack ID. */
  slackId?: string;
  device?: string;
  displayName?: string;
  status: StoredStatus;
  issuedAt: Date;
  notBefore: Date;
  notAfter: Date;
  /** The public certificate (harmless, and lets admins re-export or inspect it). */
  certPem?: string;
  /**
   * `crl`: a serial known only from a CRL of ours that an endpoint held when the database did not (see CrlPublisher).
   */
  source: 'issued' | 'csr' | 'easyrsa' | 'crl';
  issuedBy: string;
  revokedAt?: Date;
  reason?: RevocationReason;
  revokedBy?: string;
  /**
   * A renewal: the serial of the certificate this one replaces (retired once this one connects, or after a grace
   * period).
   */
  replaces?: string;
  /** Set on the old certificate when it is renewed: the replacement's serial, and when. */
  replacedBy?: string;
  replacedAt?: Date;
  /** The last time it was paused: approvals remembered before then no longer count. */
  suspendedAt?: Date;
}

export function effectiveStatus(record: CertificateRecord, now: Date): CertificateStatus {
  if (record.status === 'revoked') return 'revoked';
  return record.notAfter.getTime() <= now.getTime() ? 'expired' : record.status;
}
