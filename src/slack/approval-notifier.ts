import type { WebClient } from '@slack/web-api';
import type { Approval, ApprovalStatus } from '../domain/approval';
import type { ApprovalNotifier } from '../services/decide-connection';
import { approvalPromptMessage, approvalSettledMessage } from './views/approval';

/**
 * Approval DMs through the Web API. The DM channel id is cached for the life of the process, so a
 * prompted login costs two calls (post and update) once the cache is warm, which matters in the
 * reconnect storm after a CRL import on AWS.
 */
export class SlackApprovalNotifier implements ApprovalNotifier {
  private readonly dms = new Map<string, string>();

  constructor(
    private readonly client: WebClient,
    private readonly adminChannel: string | undefined,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  async prompt(approval: Approval): Promise<{ channel: string; ts: string }> {
    const message = approvalPromptMessage(approval);
    const posted = await this.client.chat.postMessage({ channel: await this.dm(approval.slackId), ...message });
    if (!posted.channel || !posted.ts) throw new Error('Slack did not return the prompt message');
    return { channel: posted.channel, ts: posted.ts };
  }

  async settle(approval: Approval, status: Exclude<ApprovalStatus, 'PENDING'>): Promise<void> {
    if (!approval.channel || !approval.ts) return;
    await this.client.chat.update({ channel: approval.channel, ts: approval.ts, ...approvalSettledMessage(approval, status) });
  }

  async alertAdmins(text: string): Promise<void> {
    if (!this.adminChannel) {
      this.log(`admin alert (ADMIN_CHANNEL_ID not set): ${text}`);
      return;
    }
    await this.client.chat.postMessage({ channel: this.adminChannel, text });
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
