import { VpnChatopsError } from './errors';

/** RFC 5280 §5.3.1 CRLReason codes; 7 is unused by the RFC. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

const BY_CODE = new Map<number, RevocationReason>(
  Object.entries(REVOCATION_REASONS).map(([name, code]) => [code, name as RevocationReason]),
);

/** Easy-RSA and OpenSSL spell one reason `CACompromise`; accept any letter case. */
const BY_LOWER = new Map<string, RevocationReason>(
  Object.keys(REVOCATION_REASONS).map((name) => [name.toLowerCase(), name as RevocationReason]),
);

export function parseRevocationReason(text: string): RevocationReason {
  const reason = BY_LOWER.get(text.trim().toLowerCase());
  if (!reason) {
    throw new VpnChatopsError(
      'INVALID_CRL',
      `Unknown revocation reason "${text}". Use one of: ${Object.keys(REVOCATION_REASONS).join(', ')}.`,
    );
  }
  return reason;
}

/**
 * The reasons a certificate may be revoked for. RFC 5280 §5.3.1 allows removeFromCRL only in a delta
 * CRL, to take an entry back off; we publish full CRLs, where OpenSSL 3 reads it as "not revoked".
 */
export type RevokingReason = Exclude<RevocationReason, 'removeFromCRL'>;
export const REVOKING_REASONS = Object.keys(REVOCATION_REASONS).filter(
  (name) => name !== 'removeFromCRL',
) as RevokingReason[];

/**
 * Refuse removeFromCRL wherever a revocation starts, so no path can write an entry that leaves the certificate working.
 */
export function revokingReason(reason: RevocationReason): RevokingReason {
  if (reason === 'removeFromCRL') {
    throw new VpnChatopsError(
      'INVALID_REASON',
      `removeFromCRL is not a reason to revoke: it only takes an entry off a delta CRL, and on our CRL the certificate would keep working. Use one of: ${REVOKING_REASONS.join(', ')}.`,
    );
  }
  return reason;
}

/** A reason typed by a person (vpnctl --reason, `/vpn revoke @user reason`): any letter case, never removeFromCRL. */
export function parseRevokingReason(text: string): RevokingReason {
  const reason = BY_LOWER.get(text.trim().toLowerCase());
  if (!reason)
    throw new VpnChatopsError(
      'INVALID_REASON',
      `"${text}" is not a revocation reason. Use one of: ${REVOKING_REASONS.join(', ')}.`,
    );
  return revokingReason(reason);
}

/**
 * The reason a full CRL may carry for a stored revocation. A removeFromCRL already on record (an
 * earlier vpnctl, an imported index.txt) still means "revoked": it is written as unspecified,
 * because with code 8 OpenSSL would let the certificate connect.
 */
export const reasonOnFullCrl = (reason: RevocationReason): RevokingReason =>
  reason === 'removeFromCRL' ? 'unspecified' : reason;

export function reasonFromCode(code: number): RevocationReason {
  const reason = BY_CODE.get(code);
  if (!reason) throw new VpnChatopsError('INVALID_CRL', `Unknown CRL reason code ${code}.`);
  return reason;
}

/** One line of a CRL: which certificate, since when, and why. */
export interface Revocation {
  /** Lower-case hex without leading zeros beyond what keeps the value positive. */
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

/** Whom a revocation ends: every certificate of a person, or one certificate. */
export type RevocationTarget = { slackId: string } | { serial: string };
