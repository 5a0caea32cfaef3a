import { checkEligible } from '../../services/eligibility';
import { notEligibleMessage } from '../views/not-eligible';
import { renewedText } from '../views/expiry';
import { progressMessage } from '../views/progress';
import type { JobContext, JobOf } from './context';
import { deliverProfile, memberName } from './delivery';
import { refreshHome } from './home';

/** Renew from a reminder: the same member checks and delivery as an issue, for the same device. */
export async function renewCertificate(context: JobContext, job: JobOf<'renew'>): Promise<void> {
  // A renewal is a new certificate: whoever may no longer issue one (ISSUE_POLICY) may not renew either.
  const eligibility = await checkEligible(context.access, job.userId, 'renew a VPN certificate');
  if (!eligibility.eligible) return context.reply(notEligibleMessage(eligibility));
  const displayName = await memberName(context, job.userId, job.teamId, 'renew');
  const { old, issued } = await context.admin.renew({
    serial: job.serial,
    userId: job.userId,
    displayName,
    ...(eligibility.via === 'grant' && { endsBy: eligibility.until }),
  });
  const fileName = await deliverProfile(context, issued, { csr: false });
  await context.reply(progressMessage(renewedText({ fileName, old, at: context.admin.clock.now() })));
  await refreshHome(context, job.userId);
}
