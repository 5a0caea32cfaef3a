import { checkEligible } from '../../services/eligibility';
import { notEligibleMessage } from '../views/not-eligible';
import { extendedText } from '../views/access-ending';
import { progressMessage } from '../views/progress';
import type { JobContext, JobOf } from './context';
import { deliverProfile, memberName } from './delivery';
import { refreshHome } from './home';

/**
 * Extend from the 15-minute warning: the same member checks and delivery as an issue; the use case re-checks the rest.
 */
export async function extendAccess(context: JobContext, job: JobOf<'extend'>): Promise<void> {
  // ISSUE_POLICY holds for an Extend as for any issue: someone no longer eligible gets no more time.
  const eligibility = await checkEligible(context.access, job.userId, 'extend VPN access');
  if (!eligibility.eligible) return context.reply(notEligibleMessage(eligibility));
  const displayName = await memberName(context, job.userId, job.teamId, 'extend');
  const { issued, hours } = await context.admin.extend({
    serial: job.serial,
    userId: job.userId,
    displayName,
    ...(eligibility.via === 'grant' && { endsBy: eligibility.until }),
  });
  const fileName = await deliverProfile(context, issued, { csr: false, accessHours: hours });
  await context.reply(progressMessage(extendedText({ fileName, notAfter: issued.record.notAfter })));
  await refreshHome(context, job.userId);
}
