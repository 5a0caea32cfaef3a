import type { AgentAlert, AgentAlertSink } from '../services/agent-watch';
import type { AdminAlerts } from './admin-alert';
import { agentAlertMessage } from './views/agent-alerts';

/** Agent silence and return, through the one admin-alert path (the admin channel, or every admin's DM). */
export class SlackAgentAlertSink implements AgentAlertSink {
  constructor(private readonly alerts: AdminAlerts) {}

  async agent(alert: AgentAlert): Promise<void> {
    await this.alerts.send(agentAlertMessage(alert));
  }
}
