/**
 * Login approval (DESIGN flow 4): every new VPN connection is approved by the certificate's owner.
 * These are the shapes shared by the Client VPN connect handler, the OpenVPN bridge, the store
 * and the bot.
 */

/** What a VPN asks about one new connection; AWS sends these names (schema v2), OpenVPN's bridge maps to them. */
export interface ConnectRequest {
  connectionId: string;
  endpointId: string;
  commonName: string;
  publicIp: string;
  platform: string;
  platformVersion: string;
  clientVersion: string;
}

export interface ConnectDecision {
  allow: boolean;
  /** Shown to the person on a denied connection (AWS: error-msg-on-denied-connection). At most 255 characters. */
  message: string;
  /** Why, for the audit log and tests; never shown to the client. */
  reason:
    | 'approved'
    | 'remembered'
    | 'approvals-off'
    | 'denied-by-owner'
    | 'timeout'
    | 'unknown-certificate'
    | 'revoked'
    | 'suspended'
    | 'expired'
    | 'bad-request'
    | 'rate-limited'
    | 'cooling-down'
    | 'error';
}

export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED';

export interface Approval {
  id: string;
  status: ApprovalStatus;
  slackId: string;
  cn: string;
  serial: string;
  request: ConnectRequest;
  requestedAt: Date;
  /** When the handler stops waiting; the item's TTL is set past it, so nothing stays PENDING forever. */
  deadline: Date;
  /** The DM carrying the prompt: a 👍 on exactly this message approves. */
  channel?: string;
  ts?: string;
  decidedAt?: Date;
  decidedBy?: string;
}

/**
 * What the admins are told about a login. Data, not text: the platform and versions come from the VPN
 * client and are the sender's to choose, so only the adapter that shows them knows how to make them inert.
 */
export type LoginAlert =
  | { kind: 'prompt-flood'; slackId: string; promptLimit: number; windowMinutes: number; request: ConnectRequest }
  | { kind: 'not-me'; slackId: string; cn: string; serial: string; request: ConnectRequest };

/** A 👍 in any skin tone: Slack sends `+1` or `thumbsup`, with `::skin-tone-N` appended. */
export function isThumbsUp(reaction: string): boolean {
  const base = reaction.split('::')[0];
  return base === '+1' || base === 'thumbsup';
}

export const MAX_DENY_MESSAGE = 255;

export function deny(reason: ConnectDecision['reason'], message: string): ConnectDecision {
  return { allow: false, reason, message: message.slice(0, MAX_DENY_MESSAGE) };
}
