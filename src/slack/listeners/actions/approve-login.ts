import { recordAnswer } from '../../../services/record-decision';
import type { ListenerDeps } from '../../context';
import { ButtonListener, buttonValue } from './button';

/** "Approve" on a login prompt. */
export const approveLogin =
  (deps: ListenerDeps): ButtonListener =>
  async ({ ack, body }) => {
    await ack();
    await recordAnswer(
      { ...deps, ...deps.decisions },
      { approvalId: buttonValue(body), user: body.user.id, answer: 'approve' },
    );
  };
