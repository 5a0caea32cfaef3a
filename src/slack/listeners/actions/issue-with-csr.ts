import { ACTION, BLOCK } from '../../ids';
import { chosenHours } from '../../views/duration-select';
import { csrModal } from '../../views/modals';
import type { ButtonListener } from './button';

/** The CSR modal, for as long as the Home's duration select says; the submission carries it in private_metadata. */
export const issueWithCsr: ButtonListener = async ({ ack, body, client }) => {
  await ack();
  const validHours = chosenHours(
    body.view?.state?.values?.[BLOCK.issueActions]?.[ACTION.issueDuration]?.selected_option?.value,
  );
  const metadata = validHours === undefined ? undefined : JSON.stringify({ validHours });
  await client.views.open({ trigger_id: body.trigger_id, view: csrModal(metadata, validHours) });
};
