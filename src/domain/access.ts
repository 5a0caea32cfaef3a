import { HOUR_MS } from './time';

/** Temporary eligibility an admin gave someone (`/vpn grant @user 3d`): they may issue until `until`. */
export interface Grant {
  slackId: string;
  grantedBy: string;
  grantedAt: Date;
  until: Date;
  reason?: string;
}

export type AccessRequestState = 'pending' | 'approved' | 'denied' | 'expired';

/** Someone outside the issuing group asking the admins for a certificate (ISSUE_POLICY=request). */
export interface AccessRequest {
  id: string;
  requester: string;
  device?: string;
  /** What the requester asked for; the approving admin may choose another duration. */
  hours: number;
  reason: string;
  state: AccessRequestState;
  createdAt: Date;
  /** A request nobody decided is over 24 h after it was made. */
  expiresAt: Date;
  decidedBy?: string;
  decidedAt?: Date;
  /** What the approver chose. */
  approvedHours?: number;
  /** The admin-channel message that carries Approve and Deny. */
  channel?: string;
  ts?: string;
}

export const REQUEST_LIFETIME_MS = 24 * HOUR_MS;

/** Admins write reasons for people to read; longer than this is a mistake, not a reason. */
export const MAX_REASON_LENGTH = 500;

/** A pending request past its 24 h reads as expired, whatever the stored item still says. */
export const requestStateAt = (request: AccessRequest, now: Date): AccessRequestState =>
  request.state === 'pending' && request.expiresAt.getTime() <= now.getTime() ? 'expired' : request.state;
