import { BLOCK, VIEW } from '../ids';
import { SLACK_LIMITS } from './limits';
import { plain, section } from './blocks';
import type { ModalView } from './types';
import { MAX_REASON_LENGTH } from '../../domain/access';
import { formatDuration } from '../../domain/duration';

/** What domain/cn.ts accepts as a device label before slugging it. */
const DEVICE_MAX_LENGTH = 64;

/** "Request VPN access": device, duration and reason, for the admins to decide. */
export function accessRequestModal(maxHours: number): ModalView {
  const longest = formatDuration({ hours: maxHours });
  return {
    type: 'modal',
    callback_id: VIEW.accessRequest,
    title: plain('Request VPN access', SLACK_LIMITS.modalTitle),
    submit: plain('Send request', SLACK_LIMITS.modalTitle),
    close: plain('Cancel', SLACK_LIMITS.modalTitle),
    blocks: [
      section(
        'The VPN admins get your request and approve or deny it. Once approved, your profile arrives in a DM from me. A request nobody decides lapses after 24 hours.',
      ),
      {
        type: 'input',
        block_id: BLOCK.deviceInput,
        optional: true,
        label: plain('Device label', SLACK_LIMITS.inputLabel),
        hint: plain('e.g. "work-laptop". Letters, digits, spaces, "_", "." and "-".', SLACK_LIMITS.inputHint),
        element: {
          type: 'plain_text_input',
          action_id: BLOCK.deviceAction,
          max_length: DEVICE_MAX_LENGTH,
          placeholder: plain('laptop', SLACK_LIMITS.placeholder),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.durationInput,
        label: plain('For how long', SLACK_LIMITS.inputLabel),
        hint: plain(`Hours, days or weeks: 8h, 3d, 2w. At most ${longest}.`, SLACK_LIMITS.inputHint),
        element: {
          type: 'plain_text_input',
          action_id: BLOCK.durationAction,
          max_length: 8,
          initial_value: '8h',
        },
      },
      {
        type: 'input',
        block_id: BLOCK.reasonInput,
        label: plain('Why you need it', SLACK_LIMITS.inputLabel),
        element: {
          type: 'plain_text_input',
          action_id: BLOCK.reasonAction,
          multiline: true,
          max_length: MAX_REASON_LENGTH,
          placeholder: plain('e.g. on call this weekend', SLACK_LIMITS.placeholder),
        },
      },
    ],
  };
}
