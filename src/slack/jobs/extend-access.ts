import { extendedText } from '../views/access-ending';
import { progressMessage } from '../views/progress';
import type { JobContext, JobOf } from './context';
import { deliverProfile, memberName } from './delivery';
import { refreshHome } from './home';

/** Extend from the 15-minute warning: the same member checks and delivery as an issue; the use case re-checks the rest. */
export async function extendAccess(context: JobContext, job: JobOf<'extend'>): Promise<void> {
  const displayName = await memberName(context, job.userId, job.teamId, 'extend');
  const { issued, hours } = await context.admin.extend({ serial: job.serial, userId: job.userId, displayName });
  const fileName = await deliverProfile(context, issued, { csr: false, accessHours: hours });
  await context.reply(progressMessage(extendedText({ fileName, notAfter: issued.record.notAfter })));
  await refreshHome(context, job.userId);
}
