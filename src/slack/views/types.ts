import type { AuditEntry } from '../../domain/audit';
import type { CertificateRecord, CertificateStatus } from '../../domain/certificate';
import type { CrlStatus } from '../../services/crl-status';
import type { AgentHeartbeat, VpnSession } from '../../ports';
import type { AccessRequest } from '../../domain/access';

/** A Block Kit block, as plain data (views are pure functions of data and are unit-tested as JSON). */
export type Block = Record<string, unknown> & { type: string };

export interface MessageView {
  /** Fallback text for notifications and screen readers; always set. */
  text: string;
  blocks: Block[];
}

export interface HomeView {
  type: 'home';
  blocks: Block[];
  private_metadata?: string;
}

export interface ModalView {
  type: 'modal';
  callback_id: string;
  title: { type: 'plain_text'; text: string };
  submit?: { type: 'plain_text'; text: string };
  close?: { type: 'plain_text'; text: string };
  blocks: Block[];
  private_metadata?: string;
}

export interface LoginRecord {
  at: Date;
  cn: string;
  publicIp?: string;
  platform?: string;
  outcome: 'allowed' | 'denied' | 'expired';
}

export interface PendingApprovalRow {
  id: string;
  slackId: string;
  cn: string;
  publicIp?: string;
  requestedAt: Date;
}

export interface SessionRow extends VpnSession {
  endpoint: string;
}

/** An agent's newest heartbeat, as the admin Home shows it: no sessions or keys. */
export interface AgentRow extends Pick<AgentHeartbeat, 'agentId' | 'host' | 'version' | 'at' | 'clockSkewS'> {
  endpoints: { endpoint: string; acting?: boolean }[];
}

export interface HomeData {
  userId: string;
  now: Date;
  /** The viewer's own certificates. */
  certificates: CertificateRecord[];
  recentLogins: LoginRecord[];
  /** CERT_DAYS and MAX_ACCESS_HOURS, for the Issue button's duration select; without them the Home offers no choice. */
  durations?: { certDays: number; maxHours: number };
  admin?: {
    crl: CrlStatus[];
    pendingApprovals: PendingApprovalRow[];
    sessions: SessionRow[];
    /** One page of every certificate: the table holds tens of thousands. */
    certificates: CertificatePageRows;
    audit: AuditEntry[];
    /** The agents serving self-hosted OpenVPN endpoints; absent or empty where none reports. */
    agents?: AgentRow[];
  };
  /** ISSUE_POLICY=request: the member's latest request, whether they may ask, and (admins) what waits. */
  access?: HomeAccess;
}

/** One page of every certificate (CertificateStore.page), and how many there are by status. */
export interface CertificatePageRows {
  records: CertificateRecord[];
  counts: Record<CertificateStatus, number>;
  /** How many pages came before this one. */
  page: number;
  /** Where the next page starts; absent on the last page. */
  next?: string;
}

export interface HomeAccess {
  mayRequest: boolean;
  own?: AccessRequest;
  pending?: AccessRequest[];
}
