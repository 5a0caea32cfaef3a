/**
 * Certificates running out: what an owner is reminded of and what the admins' digest lists. Data, not
 * text: the notifier that shows it decides how it reads.
 */
import type { CertificateRecord } from './certificate';

export interface Reminder {
  record: CertificateRecord;
  daysLeft: number;
  /** The threshold just crossed: 30, 7 or 1. */
  threshold: number;
  /** Whether a Renew button can do it (certificates on the owner's own key need a new CSR instead). */
  renewable: boolean;
}

export interface DigestEntry {
  record: CertificateRecord;
  daysLeft: number;
  /** The live replacement, when the owner has renewed already. */
  renewedAs?: string;
}
