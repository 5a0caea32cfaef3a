import { recordAnswer } from '../../../services/record-decision';
import type { ListenerDeps } from '../../context';
import { ButtonListener, buttonValue } from './button';

/** "Not me" on a login prompt. */
export const notMe =
  (deps: ListenerDeps): ButtonListener =>
  async ({ ack, body }) => {
    await ack();
    await recordAnswer(
      { ...deps, ...deps.decisions },
      { approvalId: buttonValue(body), user: body.user.id, answer: 'not-me' },
    );
  };
