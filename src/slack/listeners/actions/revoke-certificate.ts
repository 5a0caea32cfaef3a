import type { ListenerDeps } from '../../context';
import { buttonValue, isSerial, jobButton } from './button';

/** "Revoke" on someone's certificate, in an admin's list. */
export const revokeCertificate = (deps: ListenerDeps) =>
  jobButton(
    deps,
    (body) => {
      const serial = buttonValue(body);
      if (!isSerial(serial)) return undefined;
      return {
        type: 'revoke',
        actorId: body.user.id,
        target: { serial },
        reason: 'affiliationChanged',
        responseUrl: body.response_url,
      };
    },
    { once: true },
  );
