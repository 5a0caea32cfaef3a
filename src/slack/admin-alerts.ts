import type { WebClient } from '@slack/web-api';
import type { Alert, AlertSink } from '../ports';

/** CRL alerts from the daily job, in ADMIN_CHANNEL_ID; always in the log too, so an unset channel loses nothing. */
export function slackAlertSink(client: WebClient, channel: string | undefined, log: (message: string) => void): AlertSink {
  return {
    async send(alert: Alert) {
      log(`CRL alert (${alert.level}, ${alert.endpoint}): ${alert.message}`);
      if (!channel) return;
      await client.chat.postMessage({ channel, text: `${alert.level === 'critical' ? ':rotating_light:' : ':warning:'} ${alert.message}` });
    },
  };
}
