import type { WebClient } from '@slack/web-api';
import type { CertificateRecord } from '../domain/certificate';
import type { DigestEntry, Reminder } from '../domain/expiry';
import type { ExpiryNotifier, SlackBudget } from '../ports';
import type { AdminPolicy } from './admins';
import { DEFAULT_MAX_ACCESS_HOURS, lifetimeHours } from '../services/time-boxed';
import { endingSoonMessage } from './views/access-ending';
import { digestMessage, reminderMessage, retiredMessage } from './views/expiry';

/**
 * Reminders and retirement notices go to the owner's DM (a message to a member id lands there), the
 * weekly digest to every admin's. A failed post throws, so the reminder service can try again tomorrow.
 */
export class SlackExpiryNotifier implements ExpiryNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly admins: AdminPolicy,
    private readonly maxAccessHours = DEFAULT_MAX_ACCESS_HOURS,
    /** chat.postMessage's budget, shared with the login prompts: reminders take their DMs' room from it. */
    private readonly budget?: SlackBudget,
  ) {}

  async room(by: Date): Promise<boolean> {
    return this.budget ? this.budget.take('chat.postMessage', by) : true;
  }

  async remind(reminder: Reminder): Promise<void> {
    await this.client.chat.postMessage({ channel: reminder.record.slackId!, ...reminderMessage(reminder) });
  }

  async digest(entries: DigestEntry[], now: Date): Promise<void> {
    const message = digestMessage(entries, now);
    const results = await Promise.allSettled(
      (await this.admins.all()).map((admin) => this.client.chat.postMessage({ channel: admin, ...message })),
    );
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed && results.every((result) => result.status === 'rejected')) throw failed.reason;
  }

  async endingSoon(record: CertificateRecord, now: Date): Promise<void> {
    if (!record.slackId) return;
    // As long again, within the cap: what Extend would issue (the worker checks it again).
    const extendHours = Math.min(lifetimeHours(record), this.maxAccessHours);
    await this.client.chat.postMessage({
      channel: record.slackId,
      ...endingSoonMessage(record, { now, extendHours }),
    });
  }

  async retired(old: CertificateRecord, replacement: CertificateRecord, why: 'used' | 'grace-period'): Promise<void> {
    if (!old.slackId) return;
    await this.client.chat.postMessage({ channel: old.slackId, ...retiredMessage(old, replacement, why) });
  }
}
