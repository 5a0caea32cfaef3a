import { schedulerHandler } from '../../src/adapters/aws-lambda/scheduler';
import { scheduleAgentWatch } from '../../src/local/agent-watch';
import type { AgentWatchReport } from '../../src/services/agent-watch';
import type { VpnAdmin } from '../../src/services/vpn-admin';
import { eventually } from '../helpers/eventually';

const report = (overrides: Partial<AgentWatchReport> = {}): AgentWatchReport => ({
  agents: 1,
  silent: [],
  back: [],
  told: [],
  problems: [],
  ...overrides,
});

describe('the five-minute agent check', () => {
  it('runs on the scheduler function as {"task": "agents"}, logging what it could not tell, and never the daily job', async () => {
    const logged: string[] = [];
    let daily = 0;
    const admin = {
      watchAgents: async () => report({ silent: ['vpn1'], problems: ['agent vpn2: Slack is down'] }),
      daily: async () => {
        daily++;
        throw new Error('not the daily job');
      },
    } as unknown as VpnAdmin;
    const handler = schedulerHandler(
      async () => admin,
      () => undefined,
      (line) => logged.push(line),
    );
    expect(await handler({ task: 'agents' })).toEqual({
      task: 'agents',
      agents: 1,
      silent: ['vpn1'],
      back: [],
      told: [],
      problems: ['agent vpn2: Slack is down'],
    });
    expect(logged).toEqual(['agent check: agent vpn2: Slack is down']);
    expect(daily).toBe(0);
  });

  it('runs in npm start after each interval (not at start), keeps going after a failed round, and stops', async () => {
    const reports: string[] = [];
    let calls = 0;
    const admin = {
      watchAgents: async () => {
        calls++;
        if (calls === 1) throw new Error('DynamoDB is unreachable');
        return report({ problems: calls === 2 ? ['agent vpn1: Slack is down'] : [] });
      },
    };
    const schedule = scheduleAgentWatch(admin, (message) => reports.push(message), { everyMs: 20 });
    expect(calls).toBe(0);
    try {
      await eventually(() => (calls >= 3 ? true : undefined), 'three rounds');
    } finally {
      await schedule.stop();
    }
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(after);
    expect(reports).toEqual([
      'agent check failed: DynamoDB is unreachable; the next round tries again',
      'agent check: agent vpn1: Slack is down',
    ]);
  });
});
