import type { WebClient } from '@slack/web-api';
import { alarmHandler } from '../adapters/aws-lambda/alarms';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { slackClient } from '../slack/client';
import { alarmMessage } from '../slack/views/alarm';

/** The alarms function: CloudWatch alarm notifications go to ADMIN_CHANNEL_ID. */
export function createAlarmHandler(
  loadConfig: () => Promise<Config>,
  clientFor: (config: Config) => WebClient = slackClient,
) {
  return alarmHandler(async () => {
    const config = await loadConfig();
    if (!config.ADMIN_CHANNEL_ID)
      throw new VpnChatopsError('INVALID_CONFIG', 'ADMIN_CHANNEL_ID is not set: alarms have nowhere to go in Slack.');
    const client = clientFor(config);
    const channel = config.ADMIN_CHANNEL_ID;
    return async (alarm: string) => void (await client.chat.postMessage({ channel, ...alarmMessage(alarm) }));
  });
}
