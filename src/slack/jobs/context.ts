import type { WebClient } from '@slack/web-api';
import type { DoctorProbes } from '../../services/doctor';
import type { VpnAdmin } from '../../services/vpn-admin';
import type {
  AdminDirectory,
  ApprovalStore,
  AuditLog,
  CertificateStore,
  IdempotencyStore,
  Job,
  JobQueue,
  VpnEndpoint,
} from '../../ports';
import type { MessageView } from '../views/types';
import type { SlackAccess } from '../access';
import type { SlackApprovalNotifier } from '../approval-notifier';

/** What the worker is built from, once per process (src/composition/worker.ts). */
export interface WorkerDeps {
  /** The use cases. */
  admin: VpnAdmin;
  client: WebClient;
  admins: AdminDirectory;
  /** Each job id and each click runs once. */
  idempotency: IdempotencyStore;
  /** What `doctor` checks beyond the admin's stores and endpoints. */
  probes: DoctorProbes;
  /**
   * The same stores and endpoints the use cases hold, for what jobs only read: lists, the Home tab, the audit trail.
   */
  certificates: CertificateStore;
  audit: AuditLog;
  /** Login approvals, for the Home tab; absent where approvals are not used. */
  approvals?: ApprovalStore;
  /** Approval prompts' final states, paced under chat.update's limit (jobs/settle-prompt.ts). */
  prompts?: Pick<SlackApprovalNotifier, 'settleBy'>;
  /** The worker's own queue, for a job that hands itself on when its window ends (jobs/settle-prompt.ts). */
  jobs?: JobQueue;
  endpoints: VpnEndpoint[];
  log?: (message: string, error?: unknown) => void;
  /** ISSUE_POLICY, grants and access requests: re-checked by every job that issues or decides. */
  access: SlackAccess;
}

export type Reply = (message: MessageView, replaceOriginal?: boolean) => Promise<void>;

/** What every job runs with: the worker's dependencies and where this job's answer goes. */
export interface JobContext extends WorkerDeps {
  /** Through the job's response_url, or into the person's DM when it has none. */
  reply: Reply;
  /** The person's DM, whatever the job came with: where an answer goes when the response_url refuses it. */
  dm: (message: MessageView) => Promise<void>;
}

export type JobOf<T extends Job['type']> = Extract<Job, { type: T }>;
