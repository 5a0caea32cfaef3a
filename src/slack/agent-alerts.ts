import type { AgentAlert, AgentAlertSink, AgentHealthAlert } from '../ports';
import type { AdminAlerts } from './admin-alert';
import { agentAlertMessage } from './views/agent-alerts';
import { agentHealthAlertMessage } from './views/agent-health-alert';

/**
 * Agent silence and return, and the faults its heartbeat shows, through the one admin-alert path (the admin channel, or
 * every admin's DM).
 */
export class SlackAgentAlertSink implements AgentAlertSink {
  constructor(private readonly alerts: AdminAlerts) {}

  async agent(alert: AgentAlert): Promise<void> {
    await this.alerts.send(agentAlertMessage(alert));
  }

  async health(alert: AgentHealthAlert): Promise<void> {
    await this.alerts.send(agentHealthAlertMessage(alert));
  }
}
