import { Command, InvalidArgumentError } from 'commander';
import { openAgent } from '../../composition/agent';
import { AGENT_INTERVALS_MS, EndpointState } from '../../agent/agent';
import { Wiring, out } from '../io';

const collect = (value: string, previous: string[]) => [...previous, value];

type Intervals = Partial<typeof AGENT_INTERVALS_MS>;

/** `crl=500,kills=500`: shorter loops for tests and benchmarks; a name or value that is not one is refused. */
function parseIntervals(value: string): Intervals {
  const intervals: Intervals = {};
  for (const pair of value.split(',')) {
    const [name, ms] = pair.split('=');
    if (!Object.hasOwn(AGENT_INTERVALS_MS, name) || !/^[1-9]\d*$/.test(ms ?? ''))
      throw new InvalidArgumentError(
        `expected name=milliseconds pairs, names among ${Object.keys(AGENT_INTERVALS_MS).join(', ')}.`,
      );
    intervals[name as keyof Intervals] = Number(ms);
  }
  return intervals;
}

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
    .option(
      '--intervals <name=ms,...>',
      `the loops' periods in milliseconds instead of the defaults (${Object.entries(AGENT_INTERVALS_MS)
        .map(([name, ms]) => `${name}=${ms}`)
        .join(',')}); for tests and benchmarks`,
      parseIntervals,
    )
    .action(async (options: { endpoint: string[]; once?: boolean; agentId?: string; intervals?: Intervals }) => {
      const { config } = wiring();
      const { agent, close } = await openAgent(config, {
        only: options.endpoint,
        agentId: options.agentId,
        intervalsMs: options.intervals,
      });
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
