import type { WebClient } from '@slack/web-api';
import type { Config } from '../config';
import { AdminPolicy } from './admins';
import type { Block } from './views/types';

/**
 * One way to tell the VPN admins something urgent (a "Not me", a prompt flood, a CRL running out):
 * ADMIN_CHANNEL_ID, or without one every admin's DM, because an alert nobody sees is what seed 000
 * was. Each alert is logged as well, so it is on record even when Slack is what is failing; a failed
 * post is logged, never thrown, because the work that raised it must carry on. The admin list comes
 * in as a function so the connect handler can use this without the Bolt side of the bot.
 */
export class AdminAlerts {
  constructor(
    private readonly client: WebClient,
    private readonly channel: string | undefined,
    private readonly admins: () => Promise<string[]>,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  async send(message: { text: string; blocks?: Block[] }): Promise<void> {
    this.log(`admin alert${this.channel ? '' : ' (to every admin: ADMIN_CHANNEL_ID is not set)'}: ${message.text}`);
    try {
      const channels = this.channel ? [this.channel] : await this.admins();
      const posted = await Promise.allSettled(
        channels.map((channel) => this.client.chat.postMessage({ channel, ...message })),
      );
      posted.forEach((result, i) => {
        if (result.status === 'rejected') this.log(`admin alert could not be posted to ${channels[i]}`, result.reason);
      });
    } catch (error) {
      this.log('admin alert could not be posted: the admin list is unavailable', error);
    }
  }
}

/** Alerts for the admins the config names; pass the caller's AdminPolicy to share its group cache. */
export function adminAlertsFor(
  config: Pick<Config, 'ADMIN_CHANNEL_ID' | 'ADMIN_SLACK_IDS' | 'ADMIN_USERGROUP_ID'>,
  client: WebClient,
  log: (message: string, error?: unknown) => void,
  admins = new AdminPolicy(config.ADMIN_SLACK_IDS, config.ADMIN_USERGROUP_ID, client),
): AdminAlerts {
  return new AdminAlerts(client, config.ADMIN_CHANNEL_ID, () => admins.all(), log);
}
