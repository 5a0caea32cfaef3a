import { checkEligible } from '../../services/eligibility';
import { notEligibleMessage } from '../views/not-eligible';
import { allowedAccessHours } from '../../services/time-boxed';
import { formatTime } from '../views/format';
import { progressMessage } from '../views/progress';
import { userText } from '../views/markup';
import type { JobContext, JobOf } from './context';
import { deliverProfile, memberName } from './delivery';
import { refreshHome } from './home';

/**
 * `/vpn issue`, the Issue button or an uploaded CSR: a certificate for a member of this workspace, its profile into
 * their DM only.
 */
export async function issue(context: JobContext, job: JobOf<'issue'>): Promise<void> {
  // ISSUE_POLICY decided here, when the certificate is signed, whatever the listener saw.
  const eligibility = await checkEligible(context.access, job.userId);
  if (!eligibility.eligible) return context.reply(notEligibleMessage(eligibility));
  // Checked before anyone is asked anything: a refusal changes nothing.
  const validHours = await allowedAccessHours(context.audit, job.userId, job.validHours, context.admin.maxAccessHours);
  const displayName = await memberName(context, job.userId, job.teamId, 'issue');
  const issued = await context.admin.issue({
    slackId: job.userId,
    displayName,
    device: job.device,
    csrPem: job.csrPem,
    actor: job.userId,
    validHours,
    // Temporary eligibility is temporary access: a certificate issued under a grant ends with it.
    ...(eligibility.via === 'grant' && { endsBy: eligibility.until }),
  });
  const fileName = await deliverProfile(context, issued, { csr: job.csrPem !== undefined, accessHours: validHours });
  const ends =
    validHours === undefined
      ? `It expires on ${issued.record.notAfter.toISOString().slice(0, 10)}.`
      : `Your access ends ${formatTime(issued.record.notAfter)}.`;
  await context.reply(progressMessage(`✅ Your VPN profile *${userText(fileName)}* is in your DM from me. ${ends}`));
  await refreshHome(context, job.userId);
}
