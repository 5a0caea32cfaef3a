import type { WebClient } from '@slack/web-api';
import type { Alert, AlertSink } from '../ports';
import type { AdminPolicy } from './admins';
import { progressMessage } from './views/messages';

/**
 * CRL alerts from the daily job (14, 7, 3, 1 and 0 days left while renewal keeps failing) go to
 * ADMIN_CHANNEL_ID, or without one to every admin's DM: an alert nobody sees is what seed 000 was.
 * Each is logged as well, so it is on record even when Slack is what is failing; a failed post is
 * logged rather than thrown, because the CRL work that raised the alert must carry on.
 */
export class SlackAlertSink implements AlertSink {
  constructor(
    private readonly client: WebClient,
    private readonly adminChannel: string | undefined,
    private readonly admins: AdminPolicy,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  async send(alert: Alert): Promise<void> {
    this.log(`alert (${alert.level}, ${alert.endpoint}): ${alert.message}`);
    const message = progressMessage(`${alert.level === 'critical' ? '🚨' : '⚠️'} ${alert.message}`);
    try {
      const channels = this.adminChannel ? [this.adminChannel] : await this.admins.all();
      await Promise.all(channels.map((channel) => this.client.chat.postMessage({ channel, ...message })));
    } catch (error) {
      this.log(`alert for ${alert.endpoint} could not be posted to Slack`, error);
    }
  }
}
