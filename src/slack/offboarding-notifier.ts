import type { OffboardingNotifier } from '../ports';
import type { AdminAlerts } from './admin-alert';
import { offboardedMessage, offboardingReviewMessage } from './views/offboarding';

/**
 * Offboarding's reports through the one admin-alert path (the admin channel, or every admin's DM), logged, never
 * thrown.
 */
export class SlackOffboardingNotifier implements OffboardingNotifier {
  constructor(private readonly alerts: AdminAlerts) {}

  offboarded(notice: Parameters<OffboardingNotifier['offboarded']>[0]): Promise<void> {
    return this.alerts.send(offboardedMessage(notice));
  }

  toReview(notice: Parameters<OffboardingNotifier['toReview']>[0]): Promise<void> {
    return this.alerts.send(offboardingReviewMessage(notice));
  }
}
