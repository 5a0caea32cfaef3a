import type { RevocationReason } from '../../../domain/revocation';
import type { ListenerDeps } from '../../context';
import { buttonValue, isSerial, jobButton } from './button';

const revokeBySerial = (deps: ListenerDeps, reason: RevocationReason) =>
  jobButton(
    deps,
    (body) => {
      const serial = buttonValue(body);
      if (!isSerial(serial)) return undefined;
      return { type: 'revoke', actorId: body.user.id, target: { serial }, reason, responseUrl: body.response_url };
    },
    { once: true },
  );

/** "Revoke" on one of the person's own certificates. */
export const revokeOwn = (deps: ListenerDeps) => revokeBySerial(deps, 'keyCompromise');

/** "Revoke" on someone's certificate, in an admin's list. */
export const revokeCertificate = (deps: ListenerDeps) => revokeBySerial(deps, 'affiliationChanged');
