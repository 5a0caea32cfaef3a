import type { CertificateRecord } from '../domain/certificate';
import type { Deadline } from '../domain/deadline';
import { messageOf } from '../domain/errors';
import { DAY_MS } from '../domain/time';
import type { AccessRequestStore, ExpiryNotifier, IdempotencyStore, VpnEndpoint } from '../ports';
import { expireLapsedRequests } from './access-requests';
import { AbandonedApprovalDeps, closeAbandonedApprovals } from './abandoned-approvals';
import { RetireDeps, overdueReplacements, retireReplaced } from './certificate-renewal';
import { RenewDeps, RenewResult, renewCrls } from './crl-renewal';
import { DIGEST_DAYS, ReminderResult, sendExpiryReminders, sendWeeklyDigest } from './reminders';
import { sweepSessions } from './sessions';
import type { SessionStep } from '../domain/revocation-report';

/** The daily job leaves an undecided login alone this long after its deadline: its handler may still be closing it. */
const ABANDONED_AFTER_MS = 60_000;

export interface DailyDeps extends RenewDeps, Omit<RetireDeps, 'owners' | 'clock'> {
  endpoints: VpnEndpoint[];
  /** Login approvals; without them there are no abandoned logins to close. */
  approvals?: AbandonedApprovalDeps['approvals'];
  /** Expiry reminders, the admins' digest and retirement notices; skipped without it. */
  expiry?: ExpiryNotifier;
  /** "Sent once" claims for reminders and the digest; reminders are skipped without them. */
  idempotency?: IdempotencyStore;
  /** Access requests (ISSUE_POLICY=request): those nobody decided within 24 h are closed and audited. */
  accessRequests?: AccessRequestStore;
  /**
   * No reminder DM starts after it (the scheduler's timeout, less the CRL read-back); the rest wait for the next run.
   */
  deadline?: Deadline;
}

export interface DailyReport {
  renewals: RenewResult[];
  sessions: SessionStep[];
  /** Serials of the replaced certificates retired at the end of their grace period. */
  retired: string[];
  reminders?: ReminderResult;
  digest?: boolean;
  /** Logins left PENDING by a handler that went away, closed as expired. */
  abandoned: number;
  /** Access requests closed because nobody decided them within 24 h. */
  expiredRequests?: number;
  /** What failed, one line each; the rest of the run went on. */
  problems: string[];
}

/**
 * The daily job: retire renewed certificates whose grace period is over (first, so their CRL entries
 * go out with this run's renewal), renew CRLs, sweep sessions that should not exist, then remind
 * owners of expiring certificates and, once a week, send admins the digest. The CRL work never
 * waits on, or fails because of, the reminders. The offboarding reconcile, minutes of Slack's pacing
 * at 20,000 holders, runs on its own schedule (services/offboarding-pass.ts).
 */
export async function runDaily(deps: DailyDeps, actor: string): Promise<DailyReport> {
  const { certificates, clock, expiry, idempotency } = deps;
  const window = (): Promise<CertificateRecord[]> => {
    const now = clock.now();
    return certificates.expiring(now, new Date(now.getTime() + DIGEST_DAYS * DAY_MS));
  };
  const problems: string[] = [];
  const note =
    (what: string) =>
    (error: unknown): undefined => {
      problems.push(`${what}: ${messageOf(error)}`);
      return undefined;
    };
  async function sendMessages(): Promise<{ reminders?: ReminderResult; digest?: boolean }> {
    if (!expiry || !idempotency) return {};
    const reminderDeps = { certificates, idempotency, notifier: expiry, clock, deadline: deps.deadline };
    const expiring = await window().catch(note('reading expiring certificates'));
    if (!expiring) return {};
    const reminders = await sendExpiryReminders(reminderDeps, expiring).catch(note('reminders'));
    if (reminders?.notReached)
      problems.push(
        `reminders stopped at the deadline: ${reminders.notReached} expiring certificates not checked, left to the next run (least urgent last)`,
      );
    return { reminders, digest: await sendWeeklyDigest(reminderDeps, expiring).catch(note('weekly digest')) };
  }
  const retire: RetireDeps = { certificates, revoke: deps.revoke, owners: expiry, clock };
  const retired: string[] = [];
  for (const old of overdueReplacements(
    (await window().catch(note('reading replaced certificates'))) ?? [],
    clock.now(),
  )) {
    const done = await retireReplaced(retire, old.replacedBy!, 'grace-period').catch(note(`retiring ${old.serial}`));
    if (done) retired.push(done.old.serial);
  }
  // Paced to Slack's limits, the DMs take most of the run at 20,000 certificates: the rest runs meanwhile.
  const messages = sendMessages();
  async function upkeep() {
    const renewals = await renewCrls(deps, deps.endpoints);
    const sessions = await Promise.all(deps.endpoints.map((endpoint) => sweepSessions(endpoint, { ...deps, actor })));
    // Well past their deadline: by then every handler that was waiting has given up (and closed its own).
    const scope = { before: new Date(clock.now().getTime() - ABANDONED_AFTER_MS), actor };
    const abandoned = deps.approvals
      ? await closeAbandonedApprovals({ ...deps, approvals: deps.approvals }, scope).catch(
          note('closing abandoned logins'),
        )
      : [];
    const expiredRequests = deps.accessRequests
      ? await expireLapsedRequests({ ...deps, requests: deps.accessRequests }, actor).catch(
          note('expiring access requests'),
        )
      : undefined;
    return { renewals, sessions, abandoned, expiredRequests };
  }
  // Even when the CRL work throws, the run ends only after the DMs: on Lambda a returned run is frozen, and
  // reminders still being paced would be cut off mid-way.
  const [upkept, sent] = await Promise.allSettled([upkeep(), messages]);
  if (upkept.status === 'rejected') throw upkept.reason;
  const { renewals, sessions, abandoned, expiredRequests } = upkept.value;
  if (sent.status === 'rejected') note('expiry messages')(sent.reason);
  const { reminders, digest } = sent.status === 'fulfilled' ? sent.value : {};
  return {
    renewals,
    sessions,
    retired,
    reminders,
    digest,
    abandoned: abandoned?.length ?? 0,
    expiredRequests,
    problems,
  };
}
