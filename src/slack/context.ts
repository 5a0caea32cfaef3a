import type { ApprovalStore, AuditLog, CertificateStore, Clock, IdempotencyStore, JobQueue } from '../ports';
import type { RecordDecisionDeps } from '../services/record-decision';
import type { SlackAccess } from './access';
import type { AdminPolicy } from './admins';

/**
 * What every listener may use. Listeners answer within Slack's 3 seconds and hand slow work to
 * `jobs`. No CA here: the ingress never signs, so it never needs the CA secret.
 */
export interface ListenerDeps {
  certificates: CertificateStore;
  audit: AuditLog;
  clock: Clock;
  admins: AdminPolicy;
  jobs: JobQueue;
  idempotency: IdempotencyStore;
  approvals: ApprovalStore;
  /** Approve / Not me from a reaction or a button (the connect handler reads the result from DynamoDB). */
  decisions: Pick<RecordDecisionDeps, 'notifier' | 'policy' | 'onReplacementUsed'> & {
    /** Tells the person who reacted in their DM `channel` with the bot that their 👍 could not be recorded. */
    notRecorded(channel: string): Promise<void>;
  };
  log: (message: string, error?: unknown) => void;
  /** ISSUE_POLICY, grants and access requests. */
  access: SlackAccess;
}
