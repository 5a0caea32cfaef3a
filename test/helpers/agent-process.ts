import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stopperFor } from '../../src/adapters/child-process';
import { childOutput } from './child-output';

export const VPNCTL_BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');

export interface AgentProcess {
  /** Its stdout and stderr so far: one JSON line per event, plus the state lines `vpnctl agent` prints. */
  output(): string;
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; since?: number }): Promise<string>;
  /** SIGTERM, as systemd stops it (it hands its leases back); SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Only what it is given, as under its systemd unit: nothing of the test runner's environment leaks in. */
export const agentProcessEnv = (env: Record<string, string | undefined>) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  ...env,
});

/** `vpnctl agent` as its own process, the real binary, configured by `env` alone like on the VPN host. */
export function startAgentProcess(env: Record<string, string | undefined>, args: string[] = []): AgentProcess {
  const child = spawn(process.execPath, [VPNCTL_BIN, 'agent', ...args], {
    env: agentProcessEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = childOutput(child, 'vpnctl agent');
  return {
    output: output.text,
    waitFor: (pattern, { timeoutMs = 30_000, since = 0 } = {}) => output.waitFor(pattern, { timeoutMs, since }),
    stop: stopperFor(child, 10_000),
  };
}
