import { Answer, recordAnswer } from '../../../services/record-decision';
import type { ListenerDeps } from '../../context';
import { ButtonListener, buttonValue } from './button';

const answerLogin =
  (deps: ListenerDeps, answer: Answer): ButtonListener =>
  async ({ ack, body }) => {
    await ack();
    await recordAnswer({ ...deps, ...deps.decisions }, { approvalId: buttonValue(body), user: body.user.id, answer });
  };

/** "Approve" on a login prompt. */
export const approveLogin = (deps: ListenerDeps) => answerLogin(deps, 'approve');

/** "Not me" on a login prompt. */
export const notMe = (deps: ListenerDeps) => answerLogin(deps, 'not-me');
