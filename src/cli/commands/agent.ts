import type { Command } from 'commander';
import { openAgent } from '../../composition/agent';
import type { EndpointState } from '../../agent/agent';
import { Wiring, out } from '../io';

const collect = (value: string, previous: string[]) => [...previous, value];

const describe = (state: EndpointState) =>
  `${state.endpoint}: ${state.acting ? `acting${state.answeringLogins ? ', answering logins' : ', management interface not connected'}` : 'standing by (another agent holds the lease)'}`;

export function addAgentCommand(program: Command, wiring: Wiring): void {
  program
    .command('agent')
    .description(
      'on the VPN host: serve its openvpn endpoints for a bot that cannot reach them (login approvals, CRLs, session kills, logs, heartbeat) until SIGTERM or Ctrl-C; --once runs one round (exit 1 when an endpoint is not acted for or a step failed)',
    )
    .option('--endpoint <name>', 'serve only this openvpn endpoint of VPN_ENDPOINTS (repeatable)', collect, [])
    .option('--once', 'one round of everything, then stop')
    .option('--agent-id <id>', 'the id in heartbeats and leases (default: the host name and the endpoints served)')
    .action(async (options: { endpoint: string[]; once?: boolean; agentId?: string }) => {
      const { config } = wiring();
      const { agent, close } = await openAgent(config, { only: options.endpoint, agentId: options.agentId });
      out(
        `vpnctl agent ${agent.id}: serving ${agent
          .state()
          .map((state) => state.endpoint)
          .join(', ')}`,
      );
      if (options.once) {
        try {
          await agent.round();
        } finally {
          const states = agent.state();
          for (const state of states) out(describe(state));
          await close();
          if (states.some((state) => !state.acting)) process.exitCode = 1;
        }
        return;
      }
      await agent.start();
      for (const state of agent.state()) out(describe(state));
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      out('stopping: finishing what is under way, handing the leases back');
      await close();
      out('stopped');
    });
}
