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
