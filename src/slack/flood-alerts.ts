import type { FloodAlert, FloodAlertSink } from '../ports';
import type { AdminAlerts } from './admin-alert';
import { floodAlertMessage } from './views/flood-alert';

/** Floods and names that keep failing, through the one admin-alert path (the admin channel, or every admin's DM). */
export class SlackFloodAlertSink implements FloodAlertSink {
  constructor(private readonly alerts: AdminAlerts) {}

  async flood(alert: FloodAlert): Promise<void> {
    await this.alerts.send(floodAlertMessage(alert));
  }
}
