import type { WebClient } from '@slack/web-api';
import type { AdminAlerts } from './admin-alert';
import type { Approval, ApprovalStatus, LoginAlert } from '../domain/approval';
import type { ApprovalNotifier } from '../ports';
import { loginAlertMessage } from './views/alerts';
import { approvalNotRecordedMessage, approvalPromptMessage, approvalSettledMessage } from './views/approval';

/**
 * Approval DMs through the Web API: a prompted login costs two calls, the post and the update. The
 * post goes to the member's id, which lands in the app's DM with them, so no conversations.open
 * (Tier 3, 50 a minute) is needed even in a cold Lambda during the reconnect storm that follows a CRL
 * import on AWS; should Slack refuse that, the DM is opened once and its id cached.
 */
export class SlackApprovalNotifier implements ApprovalNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly alerts: AdminAlerts,
    private readonly dms = new Map<string, string>(),
  ) {}

  /** The same notifier through another client (e.g. one bounded by a login's deadline), sharing the DM cache. */
  using(client: WebClient, alerts: AdminAlerts): SlackApprovalNotifier {
    return new SlackApprovalNotifier(client, alerts, this.dms);
  }

  async prompt(approval: Approval): Promise<{ channel: string; ts: string }> {
    const message = approvalPromptMessage(approval);
    const channel = this.dms.get(approval.slackId) ?? approval.slackId;
    let posted;
    try {
      posted = await this.client.chat.postMessage({ channel, ...message });
    } catch (error) {
      if (channel !== approval.slackId || (error as { data?: { error?: string } }).data?.error !== 'channel_not_found')
        throw error;
      posted = await this.client.chat.postMessage({ channel: await this.dm(approval.slackId), ...message });
    }
    if (!posted.channel || !posted.ts) throw new Error('Slack did not return the prompt message');
    this.dms.set(approval.slackId, posted.channel);
    return { channel: posted.channel, ts: posted.ts };
  }

  async settle(approval: Approval, status: Exclude<ApprovalStatus, 'PENDING'>): Promise<void> {
    if (!approval.channel || !approval.ts) return;
    await this.client.chat.update({
      channel: approval.channel,
      ts: approval.ts,
      ...approvalSettledMessage(approval, status),
    });
  }

  /** Right under the prompt in the same DM, where the person just reacted. */
  async notRecorded(channel: string): Promise<void> {
    await this.client.chat.postMessage({ channel, ...approvalNotRecordedMessage() });
  }

  async alertAdmins(alert: LoginAlert): Promise<void> {
    await this.alerts.send(loginAlertMessage(alert));
  }

  private async dm(userId: string): Promise<string> {
    const known = this.dms.get(userId);
    if (known) return known;
    const { channel } = await this.client.conversations.open({ users: userId });
    if (!channel?.id) throw new Error('Slack did not open a DM');
    this.dms.set(userId, channel.id);
    return channel.id;
  }
}
