import type { WebClient } from '@slack/web-api';
import type { AdminAlerts } from './admin-alert';
import type { Approval, ApprovalStatus, LoginAlert } from '../domain/approval';
import type { ApprovalNotifier, SlackBudget } from '../ports';
import { VpnChatopsError } from '../domain/errors';
import { loginAlertMessage } from './views/alerts';
import { approvalNotRecordedMessage, approvalPromptMessage, approvalSettledMessage } from './views/approval';

/** Below this much time to answer, a prompt is not worth posting. */
const ANSWER_MS = 5_000;
/** How long a "not recorded" notice may wait for room: the person is looking at the DM now. */
const NOTICE_MS = 2_000;
/**
 * Notices a container sends in a minute without the budget, when the budget's database fails or stalls: enough
 * to tell the few people a stalled table just failed, too few to crowd out a storm's prompts under Slack's limit.
 */
const UNPACED_NOTICES_PER_MINUTE = 5;
const unpacedNotices: number[] = [];

function mayGoUnpaced(now = Date.now()): boolean {
  while (unpacedNotices.length && unpacedNotices[0] <= now - 60_000) unpacedNotices.shift();
  if (unpacedNotices.length >= UNPACED_NOTICES_PER_MINUTE) return false;
  unpacedNotices.push(now);
  return true;
}

/**
 * Slack calls paced through the shared budget. The prompt waits for room (the login waits on it anyway);
 * the final state does not hold up whoever decided: with no room now, it goes to `later` (the worker).
 * Without `later`, the final state is not paced (the connect function's EXPIRED, after the answer).
 */
export interface Pacing {
  budget: SlackBudget;
  later?: (approval: Approval, status: Exclude<ApprovalStatus, 'PENDING'>) => Promise<void>;
}

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
    private readonly pacing?: Pacing,
  ) {}

  /**
   * The same notifier through another client (e.g. one bounded by a login's deadline), sharing the DM cache; `budget`
   * likewise bounded.
   */
  using(client: WebClient, alerts: AdminAlerts, budget?: SlackBudget): SlackApprovalNotifier {
    return new SlackApprovalNotifier(
      client,
      alerts,
      this.dms,
      this.pacing && budget ? { ...this.pacing, budget } : this.pacing,
    );
  }

  async prompt(approval: Approval): Promise<{ channel: string; ts: string }> {
    // A prompt posted with only seconds left cannot be answered: the login fails closed instead. A whole window
    // that short (APPROVAL_TIMEOUT_S under 10) still gets its prompt, waiting for room at most half of what is
    // left: asking by "now" would be refused by the budget a millisecond later, when it looks at the clock.
    const deadline = approval.deadline.getTime();
    const now = Date.now();
    const short = deadline - approval.requestedAt.getTime() < 2 * ANSWER_MS;
    const by = new Date(short ? now + (deadline - now) / 2 : deadline - ANSWER_MS);
    if (this.pacing && !(await this.pacing.budget.take('chat.postMessage', by)))
      throw new VpnChatopsError(
        'SLACK_UNAVAILABLE',
        "Slack's message limit left no room for this login's prompt in time (a reconnect storm?).",
      );
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
    const pacing = this.pacing;
    // A budget that cannot answer leaves the rewrite to the worker too, rather than losing it.
    if (pacing?.later && !(await pacing.budget.take('chat.update', new Date()).catch(() => false)))
      return pacing.later(approval, status);
    await this.update(approval.channel, approval.ts, approval, status);
  }

  /** The final state for the worker: waits for room under chat.update's limit until `by`, then fails loudly. */
  async settleBy(approval: Approval, status: Exclude<ApprovalStatus, 'PENDING'>, by: Date): Promise<void> {
    if (!approval.channel || !approval.ts) return;
    if (this.pacing && !(await this.pacing.budget.take('chat.update', by)))
      throw new VpnChatopsError(
        'SLACK_UNAVAILABLE',
        `No room under chat.update's limit until ${by.toISOString()}; the prompt of approval ${approval.id} still reads as open.`,
      );
    await this.update(approval.channel, approval.ts, approval, status);
  }

  private async update(
    channel: string,
    ts: string,
    approval: Approval,
    status: Exclude<ApprovalStatus, 'PENDING'>,
  ): Promise<void> {
    await this.client.chat.update({
      channel,
      ts,
      ...approvalSettledMessage(approval, status),
    });
  }

  /** Right under the prompt in the same DM, where the person just reacted. */
  async notRecorded(channel: string): Promise<void> {
    // Under the same limit as the prompts, so a storm's failed 👍s do not crowd out the prompts that follow.
    // The budget lives in the database that just failed this person: if it fails or stalls, a few notices go anyway.
    const answer =
      this.pacing &&
      (await Promise.race([
        this.pacing.budget.take('chat.postMessage', new Date(Date.now() + NOTICE_MS)).catch(() => undefined),
        new Promise<undefined>((resolve) => setTimeout(resolve, NOTICE_MS + 500, undefined).unref()),
      ]));
    const room = !this.pacing || (answer ?? mayGoUnpaced());
    if (!room)
      throw new VpnChatopsError(
        'SLACK_UNAVAILABLE',
        "Slack's message limit left no room to say a 👍 was not recorded.",
      );
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
