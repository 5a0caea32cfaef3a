import type { ListenerDeps } from '../../context';
import { buttonValue, isSerial, jobButton } from './button';

/**
 * Renew from an expiry reminder; whose certificate it is, and whether it can be renewed, is checked when the job runs.
 */
export const renew = (deps: ListenerDeps) =>
  jobButton(
    deps,
    (body) => {
      const serial = buttonValue(body);
      return isSerial(serial)
        ? { type: 'renew', userId: body.user.id, teamId: body.team?.id, serial, responseUrl: body.response_url }
        : undefined;
    },
    { once: true },
  );
