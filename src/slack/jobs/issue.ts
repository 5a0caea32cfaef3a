import { checkEligible } from '../../services/eligibility';
import { notEligibleMessage } from '../views/not-eligible';
import { progressMessage } from '../views/progress';
import { userText } from '../views/markup';
import type { JobContext, JobOf } from './context';
import { deliverProfile, memberName } from './delivery';
import { refreshHome } from './home';

/** `/vpn issue`, the Issue button or an uploaded CSR: a certificate for a member of this workspace, its profile into their DM only. */
export async function issue(context: JobContext, job: JobOf<'issue'>): Promise<void> {
  // ISSUE_POLICY decided here, when the certificate is signed, whatever the listener saw.
  const eligibility = await checkEligible(context.access, job.userId);
  if (!eligibility.eligible) return context.reply(notEligibleMessage(eligibility));
  const displayName = await memberName(context, job.userId, job.teamId, 'issue');
  const issued = await context.admin.issue({
    slackId: job.userId,
    displayName,
    device: job.device,
    csrPem: job.csrPem,
    actor: job.userId,
  });
  const fileName = await deliverProfile(context, issued, { csr: job.csrPem !== undefined });
  await context.reply(
    progressMessage(
      `✅ Your VPN profile *${userText(fileName)}* is in your DM from me. It expires on ${issued.record.notAfter.toISOString().slice(0, 10)}.`,
    ),
  );
  await refreshHome(context, job.userId);
}
