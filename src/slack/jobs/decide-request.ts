import type { AccessRequest } from '../../domain/access';
import { messageOf } from '../../domain/errors';
import { decideRequest as decide, reopenFailedApproval } from '../../services/access-requests';
import { tell } from '../access';
import { accessRequestSettledMessage } from '../views/access-request-admin';
import { accessRequestOutcomeMessage } from '../views/access-request-outcome';
import { progressMessage } from '../views/progress';
import type { JobContext, JobOf } from './context';
import { deliverProfile, memberName } from './delivery';
import { refreshHome } from './home';

/** The admin-channel message shows the outcome, whichever surface the admin clicked on. */
async function settle(context: JobContext, request: AccessRequest, note?: string): Promise<void> {
  if (!request.channel || !request.ts) return;
  await context.client.chat
    .update({ channel: request.channel, ts: request.ts, ...accessRequestSettledMessage(request, note) })
    .catch((error: unknown) => context.log?.('could not update the access request message', error));
}

/**
 * Approve or Deny of an access request, checked again here (services/access-requests.ts). An approval issues
 * the certificate for the duration the admin chose and delivers the profile to the requester's DM, the
 * same way their own `/vpn issue` would.
 */
export async function decideRequest(context: JobContext, job: JobOf<'decide-request'>): Promise<void> {
  const decided = await decide(context.access, {
    actor: job.actorId,
    id: job.requestId,
    approve: job.approve,
    hours: job.hours,
  });
  if (decided.state === 'approved') {
    try {
      const displayName = await memberName(context, decided.requester, undefined, 'issue');
      const issued = await context.admin.issue({
        slackId: decided.requester,
        displayName,
        device: decided.device,
        actor: job.actorId,
        validHours: decided.approvedHours,
      });
      await deliverProfile(context, issued, { csr: false });
    } catch (error) {
      const why = messageOf(error);
      const reopened = await reopenFailedApproval(context.access, decided, why).catch(() => false);
      await settle(
        context,
        decided,
        `Approved, but the certificate could not be issued: ${why}${reopened ? ' The request is pending again: an admin can approve it from the App Home once that is fixed.' : ''}`,
      );
      throw error;
    }
  }
  await settle(context, decided);
  await tell(context.access, decided.requester, accessRequestOutcomeMessage(decided)).catch((error: unknown) =>
    context.log?.('could not tell the requester', error),
  );
  if (job.responseUrl)
    await context.reply(
      progressMessage(
        decided.state === 'approved'
          ? `✅ Approved: <@${decided.requester}>'s profile is in their DM.`
          : `🚫 Denied: <@${decided.requester}> has been told.`,
      ),
    );
  await Promise.all([refreshHome(context, job.actorId), refreshHome(context, decided.requester)]);
}
