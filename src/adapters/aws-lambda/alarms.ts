import type { WebClient } from '@slack/web-api';
import type { Config } from '../../config';
import { VpnChatopsError } from '../../domain/errors';
import { slackClient } from '../../slack/client';
import { alarmMessage } from '../../slack/views/alarm';

interface SnsEvent {
  Records?: { Sns?: { Message?: unknown } }[];
}

/**
 * SNS → here: each CloudWatch alarm notification, posted to ADMIN_CHANNEL_ID. A post that fails
 * fails the invocation, so SNS retries it.
 */
export function createAlarmHandler(loadConfig: () => Promise<Config>, clientFor: (config: Config) => WebClient = slackClient) {
  let ready: Promise<{ client: WebClient; channel: string }> | undefined;
  const start = async () => {
    const config = await loadConfig();
    if (!config.ADMIN_CHANNEL_ID) throw new VpnChatopsError('INVALID_CONFIG', 'ADMIN_CHANNEL_ID is not set: alarms have nowhere to go in Slack.');
    return { client: clientFor(config), channel: config.ADMIN_CHANNEL_ID };
  };
  return async (event: SnsEvent): Promise<void> => {
    ready ??= start().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    const { client, channel } = await ready;
    for (const record of event.Records ?? []) {
      const message = record.Sns?.Message;
      if (typeof message === 'string') await client.chat.postMessage({ channel, ...alarmMessage(message) });
    }
  };
}
