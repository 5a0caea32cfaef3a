import { extendRefusal } from '../../../services/extend-refusal';
import type { ListenerDeps } from '../../context';
import { errorMessage } from '../../views/errors';
import { ButtonListener, buttonValue, isSerial, jobButton } from './button';

/**
 * Extend from the 15-minute warning. A click on the owner's own certificate that has since ended, been
 * revoked or been extended is answered at once, and nothing is queued; everything else goes to the worker,
 * which checks it all again (and audits a click on someone else's certificate).
 */
export const extend = (deps: ListenerDeps): ButtonListener => {
  const queue = jobButton(
    deps,
    (body) => {
      const serial = buttonValue(body);
      return isSerial(serial)
        ? { type: 'extend', userId: body.user.id, teamId: body.team?.id, serial, responseUrl: body.response_url }
        : undefined;
    },
    { once: true },
  );
  return async (args) => {
    const { body, ack, respond } = args;
    const serial = buttonValue(body);
    const record = isSerial(serial) ? await deps.certificates.get(serial).catch(() => undefined) : undefined;
    const refusal =
      record?.slackId === body.user.id
        ? await extendRefusal(deps.certificates, record, body.user.id, deps.clock.now()).catch(() => undefined)
        : undefined;
    if (refusal === undefined) return queue(args);
    await ack();
    await respond({ response_type: 'ephemeral', replace_original: false, ...errorMessage(refusal) });
  };
};
