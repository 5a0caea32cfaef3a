import type {
  AgentAlert,
  AgentAlertSink,
  AgentHealthAlert,
  AgentHeartbeat,
  AgentRegistry,
  Clock,
} from '../../src/ports';

/** The registry's contract in memory: the newest heartbeat per agent, and whether its silence was told. */
export class MemoryAgentRegistry implements AgentRegistry {
  readonly beats = new Map<string, AgentHeartbeat>();
  readonly silent = new Set<string>();
  /** Agents whose markSilent throws, as a table that does not answer would. */
  readonly failing = new Set<string>();

  async beat(heartbeat: AgentHeartbeat): Promise<void> {
    this.beats.set(heartbeat.agentId, heartbeat);
  }

  async list(): Promise<AgentHeartbeat[]> {
    return [...this.beats.values()];
  }

  async serving(endpoint: string): Promise<AgentHeartbeat | undefined> {
    return [...this.beats.values()]
      .filter((beat) => beat.endpoints.some((report) => report.endpoint === endpoint))
      .sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  }

  async markSilent(agentId: string, silent: boolean): Promise<boolean> {
    if (this.failing.has(agentId)) throw new Error(`the table refused agent ${agentId}`);
    if (this.silent.has(agentId) === silent) return false;
    if (silent) this.silent.add(agentId);
    else this.silent.delete(agentId);
    return true;
  }

  /** Subjects the admins were told of (an endpoint that cannot serve, an agent's clock). */
  readonly alerted = new Set<string>();

  async markAlerted(subject: string, alerted: boolean): Promise<boolean> {
    if (this.alerted.has(subject) === alerted) return false;
    if (alerted) this.alerted.add(subject);
    else this.alerted.delete(subject);
    return true;
  }
}

export class RecordingAgentAlerts implements AgentAlertSink {
  readonly sent: AgentAlert[] = [];
  readonly healthSent: AgentHealthAlert[] = [];
  /** Fail this many sends first, as Slack down would. */
  failNext = 0;

  async agent(alert: AgentAlert): Promise<void> {
    this.fail();
    this.sent.push(alert);
  }

  async health(alert: AgentHealthAlert): Promise<void> {
    this.fail();
    this.healthSent.push(alert);
  }

  private fail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('Slack is down');
    }
  }
}

export class SettableClock implements Clock {
  constructor(public at: Date) {}
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}

export function heartbeat(agentId: string, at: Date, endpoints: string[] = ['openvpn:office']): AgentHeartbeat {
  return {
    agentId,
    host: `${agentId}.example.net`,
    version: '0.1.0',
    at,
    endpoints: endpoints.map((endpoint) => ({
      endpoint,
      health: { ok: true, detail: 'management answers' },
      sessions: [],
    })),
  };
}
