import { startInvocationLog } from '../../log';
import { perContainer } from '../../per-container';

interface SnsEvent {
  Records?: { Sns?: { Message?: unknown } }[];
}

/**
 * SNS → here: each CloudWatch alarm notification, posted to the admins' channel. A post that fails
 * fails the invocation, so SNS retries it.
 */
export function alarmHandler(build: () => Promise<(alarm: string) => Promise<void>>) {
  const ready = perContainer(build);
  return async (event: SnsEvent, context?: unknown): Promise<void> => {
    startInvocationLog(context);
    const post = await ready();
    for (const record of event.Records ?? []) {
      const message = record.Sns?.Message;
      if (typeof message === 'string') await post(message);
    }
  };
}
