import type { ListenerDeps } from '../../context';
import { ACTION, BLOCK } from '../../ids';
import { buttonValue, jobButton } from './button';

/** The duration an admin picked beside the buttons; absent on the Home, where the requested one applies. */
function pickedHours(state: unknown): number | undefined {
  const values = (state as { values?: Record<string, Record<string, { selected_option?: { value?: string } }>> })
    ?.values;
  const picked = Number(values?.[BLOCK.requestHours]?.[ACTION.requestHours]?.selected_option?.value);
  return Number.isInteger(picked) && picked > 0 ? picked : undefined;
}

/** Approve or Deny on an access request: the worker re-checks the admin, the policy and the request, then acts. */
export const decideRequest = (deps: ListenerDeps, approve: boolean) =>
  jobButton(
    deps,
    (body) => ({
      type: 'decide-request',
      actorId: body.user.id,
      requestId: buttonValue(body),
      approve,
      ...(approve && { hours: pickedHours(body.state) }),
      responseUrl: body.response_url,
    }),
    { once: true },
  );
