import { formatDuration } from '../../domain/duration';
import { BLOCK, VIEW } from '../ids';
import { SLACK_LIMITS } from './limits';
import { plain, section } from './blocks';
import type { ModalView } from './types';

/**
 * Slack accepts at most 3000 for a text input. An RSA-2048 CSR (the only client key size AWS accepts)
 * is about 900 characters of PEM, and even an RSA-4096 one is about 1,600, so nothing legitimate is cut off.
 */
const CSR_MAX_LENGTH = SLACK_LIMITS.inputLength;
/** What domain/cn.ts accepts as a device label before slugging it. */
const DEVICE_MAX_LENGTH = 64;

const OPENSSL_COMMAND = 'openssl req -new -newkey rsa:2048 -nodes -keyout vpn.key -out vpn.csr -subj /CN=me';

/** "Use my own key": the private key stays on the member's computer; we sign their CSR and bind the CN to them. */
export function csrModal(privateMetadata?: string, accessHours?: number): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW.csr,
    title: plain('Use my own key', SLACK_LIMITS.modalTitle),
    submit: plain('Issue certificate', SLACK_LIMITS.modalTitle),
    close: plain('Cancel', SLACK_LIMITS.modalTitle),
    blocks: [
      section(
        'Your private key never leaves your computer: make a key and a certificate signing request (CSR), paste the CSR here, and I send you a profile in a DM. ' +
          'Whatever name you put in the CSR, the certificate is issued to you.',
      ),
      ...(accessHours === undefined
        ? []
        : [section(`⏱️ For ${formatDuration({ hours: accessHours })}, as chosen on the Home tab.`)]),
      {
        type: 'input',
        block_id: BLOCK.csrInput,
        label: plain('Certificate signing request (PEM)', SLACK_LIMITS.inputLabel),
        hint: plain(
          `Make one in a terminal: ${OPENSSL_COMMAND} — then paste all of vpn.csr. Keep vpn.key to yourself.`,
          SLACK_LIMITS.inputHint,
        ),
        element: {
          type: 'plain_text_input',
          action_id: BLOCK.csrAction,
          multiline: true,
          max_length: CSR_MAX_LENGTH,
          placeholder: plain('-----BEGIN CERTIFICATE REQUEST-----', SLACK_LIMITS.placeholder),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.deviceInput,
        optional: true,
        label: plain('Device label', SLACK_LIMITS.inputLabel),
        hint: plain(
          'Tells your certificates apart, e.g. "work-laptop". Letters, digits, spaces, "_", "." and "-".',
          SLACK_LIMITS.inputHint,
        ),
        element: {
          type: 'plain_text_input',
          action_id: BLOCK.deviceAction,
          max_length: DEVICE_MAX_LENGTH,
          placeholder: plain('laptop', SLACK_LIMITS.placeholder),
        },
      },
    ],
    ...(privateMetadata !== undefined && { private_metadata: privateMetadata }),
  };
}
