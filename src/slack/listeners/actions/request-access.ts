import { VpnChatopsError } from '../../../domain/errors';
import { eligibilityOf } from '../../../services/eligibility';
import type { ListenerDeps } from '../../context';
import { accessRequestModal } from '../../views/access-request-modal';
import { errorMessage } from '../../views/errors';
import type { ButtonListener } from './button';

/** "Request VPN access": the modal, only while requests are taken and the person cannot issue already. */
export const requestAccess =
  (deps: ListenerDeps): ButtonListener =>
  async ({ ack, body, client, respond }) => {
    await ack();
    const { access } = deps;
    let problem: string | undefined;
    try {
      if (access.policy !== 'request') problem = 'Access requests are closed here; ask a VPN admin.';
      else if ((await eligibilityOf(access, body.user.id)).eligible)
        problem = 'You may already issue a certificate: use `/vpn issue`, no request needed.';
      else await client.views.open({ trigger_id: body.trigger_id, view: accessRequestModal(access.maxHours) });
    } catch (error) {
      deps.log('request access failed', error);
      problem = error instanceof VpnChatopsError ? error.message : 'That did not go through. Try again in a minute.';
    }
    if (problem === undefined) return;
    if (body.response_url)
      await respond({ response_type: 'ephemeral', replace_original: false, ...errorMessage(problem) });
    else await client.chat.postMessage({ channel: body.user.id, ...errorMessage(problem) });
  };
