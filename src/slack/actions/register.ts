import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { normalizeDevice } from '../../domain/cn';
import { VpnChatopsError } from '../../domain/errors';
import { parseRevocationReason } from '../../domain/revocation';
import { publicKeyFromCsr } from '../../pki/csr';
import type { ListenerDeps } from '../context';
import { ACTION, BLOCK, RevokeRequestValue, VIEW } from '../ids';
import { csrModal } from '../views/modals';

type ButtonBody = BlockAction<ButtonAction>;

function buttonValue(body: ButtonBody): string {
  return body.actions[0]?.value ?? '';
}

/** Buttons and modals. Every one acks at once; authority is re-checked by the worker when the job runs. */
export function registerActions(app: App, deps: ListenerDeps): void {
  const { jobs } = deps;

  app.action<ButtonBody>(ACTION.revokeConfirm, async ({ ack, body }) => {
    await ack();
    let request: RevokeRequestValue;
    try {
      request = JSON.parse(buttonValue(body)) as RevokeRequestValue;
    } catch {
      return;
    }
    const target = request.serial ? { serial: request.serial } : request.slackId ? { slackId: request.slackId } : undefined;
    if (!target) return;
    await jobs.enqueue({ type: 'revoke', actorId: body.user.id, target, reason: parseRevocationReason(request.reason), responseUrl: body.response_url });
  });

  app.action<ButtonBody>(ACTION.revokeCancel, async ({ ack, respond }) => {
    await ack();
    await respond({ delete_original: true });
  });

  for (const id of [ACTION.revokeOwn, ACTION.revokeCertificate]) {
    app.action<ButtonBody>(id, async ({ ack, body }) => {
      await ack();
      const serial = buttonValue(body);
      if (/^[0-9A-F]{2,40}$/.test(serial)) await jobs.enqueue({ type: 'revoke', actorId: body.user.id, target: { serial }, reason: id === ACTION.revokeOwn ? 'keyCompromise' : 'affiliationChanged', responseUrl: body.response_url });
    });
  }

  app.action<ButtonBody>(ACTION.publishCrl, async ({ ack, body }) => {
    await ack();
    await jobs.enqueue({ type: 'publish-crl', actorId: body.user.id, responseUrl: body.response_url });
  });

  app.action<ButtonBody>(ACTION.issue, async ({ ack, body }) => {
    await ack();
    await jobs.enqueue({ type: 'issue', userId: body.user.id, responseUrl: body.response_url });
  });

  app.action<ButtonBody>(ACTION.issueWithCsr, async ({ ack, body, client }) => {
    await ack();
    await client.views.open({ trigger_id: body.trigger_id, view: csrModal() });
  });

  app.action<ButtonBody>(ACTION.homePage, async ({ ack, body }) => {
    await ack();
    const page = Number(buttonValue(body));
    await jobs.enqueue({ type: 'home', userId: body.user.id, page: Number.isInteger(page) && page >= 0 ? page : 0 });
  });

  app.view(VIEW.csr, async ({ ack, body, view }) => {
    const csrPem = view.state.values[BLOCK.csrInput]?.[BLOCK.csrAction]?.value ?? '';
    const device = view.state.values[BLOCK.deviceInput]?.[BLOCK.deviceAction]?.value ?? undefined;
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
    await ack();
    await jobs.enqueue({ type: 'issue', userId: body.user.id, csrPem, device: device || undefined });
  });
}
