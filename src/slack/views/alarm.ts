import { section } from './blocks';
import { userText } from './markup';
import type { MessageView } from './types';

/** The fields of a CloudWatch alarm notification (SNS message body) that the admins need. */
interface AlarmNotification {
  AlarmName?: unknown;
  AlarmDescription?: unknown;
  NewStateValue?: unknown;
  NewStateReason?: unknown;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * A CloudWatch alarm, as posted to ADMIN_CHANNEL_ID. Anything that is not an alarm notification
 * (an SNS test message, say) is shown as plain text rather than dropped.
 */
export function alarmMessage(snsMessage: string): MessageView {
  let alarm: AlarmNotification | undefined;
  try {
    const parsed: unknown = JSON.parse(snsMessage);
    if (typeof parsed === 'object' && parsed !== null && 'AlarmName' in parsed) alarm = parsed as AlarmNotification;
  } catch {
    alarm = undefined;
  }
  if (!alarm) {
    const body = userText(snsMessage, 2_000);
    return { text: `VPN bot notification: ${body}`, blocks: [section(`:bell: *VPN bot notification*\n${body}`)] };
  }
  const state = text(alarm.NewStateValue);
  const name = userText(text(alarm.AlarmName), 200);
  const headline =
    state === 'ALARM'
      ? `:rotating_light: *${name}* is in ALARM`
      : state === 'OK'
        ? `:white_check_mark: *${name}* is OK again`
        : `:grey_question: *${name}* is ${userText(state || 'in an unknown state', 40)}`;
  const lines = [headline];
  if (text(alarm.AlarmDescription)) lines.push(userText(text(alarm.AlarmDescription), 1_000));
  if (text(alarm.NewStateReason)) lines.push(`_${userText(text(alarm.NewStateReason), 500)}_`);
  return { text: headline.replace(/\*/g, ''), blocks: [section(lines.join('\n'))] };
}
