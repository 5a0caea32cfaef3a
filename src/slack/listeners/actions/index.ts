import { createHash } from 'node:crypto';
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { normalizeDevice } from '../../../domain/cn';
import { VpnChatopsError } from '../../../domain/errors';
import { REVOCATION_REASONS, RevocationReason } from '../../../domain/revocation';
import { publicKeyFromCsr } from '../../../pki/csr';
import type { ListenerDeps } from '../../context';
import { ACTION, BLOCK, RevokeRequestValue, VIEW } from '../../ids';
import type { Job } from '../../../ports';
import { csrModal } from '../../views/modals';
import { errorMessage } from '../../views/messages';
import { recordAnswer } from '../../../services/record-decision';
import { auditRefusal } from '../../../services/authorization';

type ButtonBody = BlockAction<ButtonAction>;

const buttonValue = (body: ButtonBody) => body.actions[0]?.value ?? '';

function revokeRequest(value: string): Pick<Extract<Job, { type: 'revoke' }>, 'target' | 'reason'> | undefined {
  try {
    const request = JSON.parse(value) as Partial<RevokeRequestValue>;
    const reason = (request.reason ?? '') in REVOCATION_REASONS ? (request.reason as RevocationReason) : undefined;
    const target = typeof request.serial === 'string' ? { serial: request.serial } : typeof request.slackId === 'string' ? { slackId: request.slackId } : undefined;
    return target && reason ? { target, reason } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Buttons and modals. The job is queued before Slack gets its answer (on Lambda the answer waits
 * for the listener anyway), so a failure can still be shown; authority is re-checked by the worker.
 */
export function registerActions(app: App, deps: ListenerDeps): void {
  const { jobs, idempotency } = deps;

  /**
   * A double click must not revoke or publish twice: on AWS every CRL import drops every connection.
   * Slack sends each click as its own payload (its own action_ts), so a double click arrives as two
   * payloads for the same button: same person, same message or view, same action_id and value. Slack
   * keeps one view id for every click on a Home view, and every row's Revoke shares one action_id, so
   * the value (which certificate) tells the rows apart. The claim on a button holds while its job is in
   * flight: the worker lets go when the job has run, whatever its outcome, and this listener when the job
   * could not be handed off; so a click after an answer, or after an error, is always acted on.
   */
  const clickKey = (body: ButtonBody) => {
    const where = body.container?.message_ts ?? body.view?.id ?? body.trigger_id;
    const action = body.actions[0];
    const value = createHash('sha256').update(action?.value ?? '').digest('base64url').slice(0, 22);
    return `click:${body.user.id}:${where}:${action?.action_id}:${value}`;
  };
  /** Longer than a worker job may run (5 minutes) after its wait in Lambda's queue: the claim of a worker that died lapses. */
  const CLICK_CLAIM_S = 600;

  /** The person is told to try again when the hand-off fails: their retry must not count as a double click. */
  const handOff = async (job: Job, claim: string | undefined) => {
    try {
      await jobs.enqueue(job);
    } catch (error) {
      if (claim !== undefined) await idempotency.release(claim).catch((releaseError: unknown) => deps.log('could not release a click claim', releaseError));
      throw error;
    }
  };

  const enqueueFromButton = (id: string, toJob: (body: ButtonBody) => Job | undefined, options: { once?: boolean } = {}) =>
    app.action<ButtonBody>(id, async ({ ack, body, respond, client }) => {
      try {
        const job = toJob(body);
        if (job) {
          const claim = options.once ? clickKey(body) : undefined;
          // Acting twice beats dropping a click because the claim store hiccuped.
          const first = claim === undefined || (await idempotency.claim(claim, CLICK_CLAIM_S).catch(() => true));
          if (first) await handOff(claim === undefined ? job : { ...job, claim }, claim);
        }
        await ack();
      } catch (error) {
        deps.log(`button ${id} failed`, error);
        await ack();
        const failed = errorMessage('That did not go through, and nothing was changed. Try again in a minute.');
        if (body.response_url) await respond({ response_type: 'ephemeral', replace_original: false, ...failed });
        else {
          // A click on the Home tab has no response_url: the person hears of it in their DM.
          const { channel } = await client.conversations.open({ users: body.user.id });
          if (channel?.id) await client.chat.postMessage({ channel: channel.id, ...failed });
        }
      }
    });

  enqueueFromButton(
    ACTION.revokeConfirm,
    (body) => {
      const request = revokeRequest(buttonValue(body));
      return request && { type: 'revoke', actorId: body.user.id, ...request, responseUrl: body.response_url };
    },
    { once: true },
  );
  for (const id of [ACTION.revokeOwn, ACTION.revokeCertificate]) {
    enqueueFromButton(id, (body) => {
      const serial = buttonValue(body);
      if (!/^[0-9A-F]{2,40}$/.test(serial)) return undefined;
      return { type: 'revoke', actorId: body.user.id, target: { serial }, reason: id === ACTION.revokeOwn ? 'keyCompromise' : 'affiliationChanged', responseUrl: body.response_url };
    }, { once: true });
  }
  enqueueFromButton(ACTION.publishCrl, (body) => ({ type: 'publish-crl', actorId: body.user.id, responseUrl: body.response_url }), { once: true });
  enqueueFromButton(ACTION.issue, (body) => ({ type: 'issue', userId: body.user.id, teamId: body.team?.id, responseUrl: body.response_url }), { once: true });
  // Renew from an expiry reminder; whose certificate it is, and whether it can be renewed, is checked when the job runs.
  enqueueFromButton(ACTION.renew, (body) => {
    const serial = buttonValue(body);
    return /^[0-9A-F]{2,40}$/.test(serial) ? { type: 'renew', userId: body.user.id, teamId: body.team?.id, serial, responseUrl: body.response_url } : undefined;
  }, { once: true });
  enqueueFromButton(ACTION.homePage, (body) => {
    const page = Number(buttonValue(body));
    return { type: 'home', userId: body.user.id, page: Number.isInteger(page) && page >= 0 ? page : 0 };
  });

  for (const [id, answer] of [[ACTION.approve, 'approve'], [ACTION.notMe, 'not-me']] as const) {
    app.action<ButtonBody>(id, async ({ ack, body }) => {
      await ack();
      await recordAnswer({ ...deps, ...deps.decisions }, { approvalId: buttonValue(body), user: body.user.id, answer });
    });
  }

  // One conditional write, done inline: lift a "Not me" pause, for the owner or an admin only.
  app.action<ButtonBody>(ACTION.reenable, async ({ ack, body }) => {
    await ack();
    const serial = buttonValue(body);
    const record = await deps.certificates.get(serial);
    const allowed = record !== undefined && (record.slackId === body.user.id || (await deps.admins.isAdmin(body.user.id)));
    if (!allowed) {
      await auditRefusal(deps.audit, { actor: body.user.id, what: 're-enable', target: serial });
      return;
    }
    if (await deps.certificates.setSuspended(serial, false)) {
      await deps.audit.append({ actor: body.user.id, action: 'certificate.reenable', target: record.slackId ?? serial, outcome: 'success', details: { serial } });
    }
    await jobs.enqueue({ type: 'home', userId: body.user.id });
  });

  app.action<ButtonBody>(ACTION.revokeCancel, async ({ ack, respond }) => {
    await ack();
    await respond({ delete_original: true });
  });

  app.action<ButtonBody>(ACTION.issueWithCsr, async ({ ack, body, client }) => {
    await ack();
    await client.views.open({ trigger_id: body.trigger_id, view: csrModal() });
  });

  app.view(VIEW.csr, async ({ ack, body, view }) => {
    const csrPem = view.state.values[BLOCK.csrInput]?.[BLOCK.csrAction]?.value ?? '';
    const device = view.state.values[BLOCK.deviceInput]?.[BLOCK.deviceAction]?.value || undefined;
    // Check what can be checked in milliseconds now, so mistakes show next to the field that has them.
    try {
      publicKeyFromCsr(csrPem);
    } catch (error) {
      return ack({ response_action: 'errors', errors: { [BLOCK.csrInput]: error instanceof VpnChatopsError ? error.message.slice(0, 150) : 'This is not a CSR.' } });
    }
    try {
      if (device) normalizeDevice(device);
    } catch (error) {
      return ack({ response_action: 'errors', errors: { [BLOCK.deviceInput]: (error as Error).message.slice(0, 150) } });
    }
    try {
      await jobs.enqueue({ type: 'issue', userId: body.user.id, teamId: body.team?.id, csrPem, device });
    } catch (error) {
      deps.log('CSR job could not be queued', error);
      return ack({ response_action: 'errors', errors: { [BLOCK.csrInput]: 'Could not start issuing just now; nothing was changed. Submit again in a minute.' } });
    }
    await ack();
  });
}
