import { csrModal } from '../../views/modals';
import type { ButtonListener } from './button';

export const issueWithCsr: ButtonListener = async ({ ack, body, client }) => {
  await ack();
  await client.views.open({ trigger_id: body.trigger_id, view: csrModal() });
};
