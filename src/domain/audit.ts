/** One line of the append-only audit trail: who did what to whom, and how it ended. */
export type AuditAction =
  | 'certificate.issue'
  | 'certificate.renew'
  | 'certificate.revoke'
  | 'certificate.import'
  | 'certificate.reenable'
  | 'ca.init'
  | 'ca.import'
  | 'ca.server-cert'
  | 'endpoint.tls-crypt-v2-key'
  | 'sessions.terminate'
  | 'crl.publish'
  | 'crl.renew'
  | 'crl.alert'
  | 'crl.carry-forward'
  | 'approval.decide'
  | 'access.refused'
  | 'audit.export'
  | 'certificate.extend'
  | 'sessions.expire'
  | 'access.offboard'
  | 'access.grant'
  | 'access.request'
  | 'access.request.approve'
  | 'access.request.deny'
  | 'access.request.expire';

export type AuditOutcome = 'success' | 'failure' | 'refused' | 'partial' | 'deferred';

export interface AuditEntry {
  id: string;
  at: Date;
  /** A Slack member ID, `vpnctl:<os user>`, or `system:<job>`. */
  actor: string;
  action: AuditAction;
  /** What it acted on: a Slack ID, a serial, an endpoint key. */
  target: string;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  since?: Date;
  until?: Date;
  actor?: string;
  target?: string;
  limit?: number;
}
