import type { ListenerDeps } from '../../context';
import { buttonValue, isSerial, jobButton } from './button';

/** "Revoke" on one of the person's own certificates. */
export const revokeOwn = (deps: ListenerDeps) =>
  jobButton(
    deps,
    (body) => {
      const serial = buttonValue(body);
      if (!isSerial(serial)) return undefined;
      return {
        type: 'revoke',
        actorId: body.user.id,
        target: { serial },
        reason: 'keyCompromise',
        responseUrl: body.response_url,
      };
    },
    { once: true },
  );
