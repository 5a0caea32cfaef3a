import { notEligibleText } from '../../services/eligibility';
import { ACTION } from '../ids';
import { actions, button, message, section } from './blocks';
import type { MessageView } from './types';

/** The answer to someone ISSUE_POLICY does not let issue: under `request`, with the button that asks the admins. */
export function notEligibleMessage(eligibility: { mayRequest: boolean }): MessageView {
  const text = `⚠️ ${notEligibleText(eligibility)}`;
  return message(text, [
    section(text),
    ...(eligibility.mayRequest
      ? [actions(button('Request VPN access', ACTION.requestAccess, { style: 'primary' }))]
      : []),
  ]);
}
