import { REVOCATION_REASONS, RevocationReason } from '../../../domain/revocation';
import type { Job } from '../../../ports';
import type { ListenerDeps } from '../../context';
import type { RevokeRequestValue } from '../../ids';
import { buttonValue, jobButton } from './button';

function revokeRequest(value: string): Pick<Extract<Job, { type: 'revoke' }>, 'target' | 'reason'> | undefined {
  try {
    const request = JSON.parse(value) as Partial<RevokeRequestValue>;
    const reason = (request.reason ?? '') in REVOCATION_REASONS ? (request.reason as RevocationReason) : undefined;
    const target =
      typeof request.serial === 'string'
        ? { serial: request.serial }
        : typeof request.slackId === 'string'
          ? { slackId: request.slackId }
          : undefined;
    return target && reason ? { target, reason } : undefined;
  } catch {
    return undefined;
  }
}

/** "Revoke" on the confirmation `/vpn revoke` shows. */
export const revokeConfirm = (deps: ListenerDeps) =>
  jobButton(
    deps,
    (body) => {
      const request = revokeRequest(buttonValue(body));
      return request && { type: 'revoke', actorId: body.user.id, ...request, responseUrl: body.response_url };
    },
    { once: true },
  );
