import type { Middleware, SlackViewMiddlewareArgs } from '@slack/bolt';
import { normalizeDevice } from '../../../domain/cn';
import { VpnChatopsError } from '../../../domain/errors';
import { publicKeyFromCsr } from '../../../pki/csr';
import type { ListenerDeps } from '../../context';
import { BLOCK } from '../../ids';
import { chosenHours } from '../../views/duration-select';

/** The duration the Home's select carried into the modal (see actions/issue-with-csr.ts); the worker checks it. */
function metadataHours(metadata: string | undefined): number | undefined {
  try {
    const { validHours } = JSON.parse(metadata || '{}') as { validHours?: unknown };
    return chosenHours(typeof validHours === 'number' ? String(validHours) : undefined);
  } catch {
    return undefined;
  }
}

/** The CSR modal's Submit: the job is queued before the modal closes, so a failure shows in the modal. */
export const csrSubmit =
  (deps: ListenerDeps): Middleware<SlackViewMiddlewareArgs> =>
  async ({ ack, body, view }) => {
    const csrPem = view.state.values[BLOCK.csrInput]?.[BLOCK.csrAction]?.value ?? '';
    const device = view.state.values[BLOCK.deviceInput]?.[BLOCK.deviceAction]?.value || undefined;
    // Check what can be checked in milliseconds now, so mistakes show next to the field that has them.
    try {
      publicKeyFromCsr(csrPem);
    } catch (error) {
      return ack({
        response_action: 'errors',
        errors: {
          [BLOCK.csrInput]: error instanceof VpnChatopsError ? error.message.slice(0, 150) : 'This is not a CSR.',
        },
      });
    }
    try {
      if (device) normalizeDevice(device);
    } catch (error) {
      return ack({
        response_action: 'errors',
        errors: { [BLOCK.deviceInput]: (error as Error).message.slice(0, 150) },
      });
    }
    try {
      const validHours = metadataHours(view.private_metadata);
      await deps.jobs.enqueue({
        type: 'issue',
        userId: body.user.id,
        teamId: body.team?.id,
        csrPem,
        device,
        ...(validHours !== undefined && { validHours }),
      });
    } catch (error) {
      deps.log('CSR job could not be queued', error);
      return ack({
        response_action: 'errors',
        errors: {
          [BLOCK.csrInput]: 'Could not start issuing just now; nothing was changed. Submit again in a minute.',
        },
      });
    }
    await ack();
  };
