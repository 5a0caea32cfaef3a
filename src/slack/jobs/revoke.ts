import { revokingReason } from '../../domain/revocation';
import { requireAdmin } from '../../services/authorization';
import { progressMessage } from '../views/progress';
import { revocationReportMessage } from '../views/revocation-report';
import type { JobContext, JobOf } from './context';
import { refreshHome } from './home';

/** Revoke: anyone their own certificates, admins anyone's. */
export async function revoke(context: JobContext, job: JobOf<'revoke'>): Promise<void> {
  const { admin, reply } = context;
  const own =
    'slackId' in job.target
      ? job.target.slackId === job.actorId
      : (await context.certificates.get(job.target.serial))?.slackId === job.actorId;
  if (!own) await requireAdmin(context, job.actorId, "revoke other people's certificates");
  // Refused before the progress message: a button value is the client's to send, and may carry any reason.
  revokingReason(job.reason);
  // Slack failing to show progress must not hold up ending someone's access.
  await reply(
    progressMessage('⏳ Revoking: closing the database gate, ending live sessions, publishing the CRL…'),
    true,
  ).catch((error: unknown) => context.log?.('revoke progress not posted', error));
  const report = await admin.revoke({ target: job.target, reason: job.reason, actor: job.actorId });
  // Whatever Slack does now, the revocation happened: its report goes to the DM if it cannot go where it was asked,
  // and is never replaced by an error saying something went wrong.
  const told = revocationReportMessage(report);
  await reply(told, true)
    .catch((error: unknown) => {
      context.log?.('revoke report not posted; trying the DM', error);
      return context.dm(told);
    })
    .catch((error: unknown) => context.log?.('revoke report not posted', error));
  await refreshHome(context, job.actorId);
}
