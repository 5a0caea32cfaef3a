import type { Alert, AlertSink } from '../ports';
import type { AdminAlerts } from './admin-alert';
import { crlAlertMessage } from './views/alerts';

/**
 * CRL alerts from the daily job (14, 7, 3, 1 and 0 days left while renewal keeps failing), through
 * the one admin-alert path: the admin channel or every admin's DM, logged, never thrown, because the
 * CRL work that raised the alert must carry on.
 */
export class SlackAlertSink implements AlertSink {
  constructor(private readonly alerts: AdminAlerts) {}

  async send(alert: Alert): Promise<void> {
    await this.alerts.send(crlAlertMessage(alert));
  }
}
