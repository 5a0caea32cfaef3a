import type { Middleware, SlackViewMiddlewareArgs } from '@slack/bolt';
import { normalizeDevice } from '../../../domain/cn';
import { formatDuration, parseDuration } from '../../../domain/duration';
import { VpnChatopsError } from '../../../domain/errors';
import { requestAccess } from '../../../services/access-requests';
import { tell } from '../../access';
import type { ListenerDeps } from '../../context';
import { BLOCK } from '../../ids';
import { accessRequestAdminMessage } from '../../views/access-request-admin';
import { accessRequestOutcomeMessage } from '../../views/access-request-outcome';
import { errorMessage } from '../../views/errors';

const fieldErrors = (errors: Record<string, string>) => ({
  response_action: 'errors' as const,
  errors: Object.fromEntries(Object.entries(errors).map(([block, text]) => [block, text.slice(0, 150)])),
});

/**
 * The request modal's Submit: each mistake next to its field; then the request is stored and audited before
 * the modal closes (so a failure still shows in it), and the admins get it in ADMIN_CHANNEL_ID.
 */
export const accessRequestSubmit =
  (deps: ListenerDeps): Middleware<SlackViewMiddlewareArgs> =>
  async ({ ack, body, view, client }) => {
    const { access } = deps;
    const value = (block: string, action: string) => view.state.values[block]?.[action]?.value?.trim() || undefined;
    const device = value(BLOCK.deviceInput, BLOCK.deviceAction);
    const durationText = value(BLOCK.durationInput, BLOCK.durationAction) ?? '';
    const reason = value(BLOCK.reasonInput, BLOCK.reasonAction) ?? '';
    const errors: Record<string, string> = {};
    try {
      if (device) normalizeDevice(device);
    } catch (error) {
      errors[BLOCK.deviceInput] = (error as Error).message;
    }
    const duration = parseDuration(durationText);
    if (!duration) errors[BLOCK.durationInput] = 'Give a duration like 8h, 3d or 2w.';
    else if (duration.hours > access.maxHours)
      errors[BLOCK.durationInput] = `At most ${formatDuration({ hours: access.maxHours })} here.`;
    if (!reason) errors[BLOCK.reasonInput] = 'Say why you need access.';
    if (Object.keys(errors).length) return ack(fieldErrors(errors));

    let request;
    try {
      request = await requestAccess(access, {
        requester: body.user.id,
        device,
        hours: duration!.hours,
        reason,
      });
    } catch (error) {
      deps.log('access request not stored', error);
      const text =
        error instanceof VpnChatopsError
          ? error.message
          : 'Could not send your request just now; try again in a minute.';
      return ack(fieldErrors({ [BLOCK.reasonInput]: text }));
    }
    await ack();
    try {
      const posted = await client.chat.postMessage({
        channel: access.adminChannel!,
        ...accessRequestAdminMessage(request, access.maxHours),
      });
      if (posted.channel && posted.ts) await access.requests.attachMessage(request.id, posted.channel, posted.ts);
      await tell(access, request.requester, accessRequestOutcomeMessage(request));
      await deps.jobs.enqueue({ type: 'home', userId: request.requester });
    } catch (error) {
      deps.log('access request not posted to the admins', error);
      await tell(
        access,
        request.requester,
        errorMessage(
          'Your request is recorded, but I could not post it to the admins. Tell a VPN admin; they see it on their Home tab.',
        ),
      ).catch((tellError: unknown) => deps.log('could not tell the requester', tellError));
    }
  };
