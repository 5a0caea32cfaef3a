import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stopperFor } from '../../src/adapters/child-process';
import { childOutput } from './child-output';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');

export interface AgentProcess {
  /** Its stdout and stderr so far: one JSON line per event, plus the state lines `vpnctl agent` prints. */
  output(): string;
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; since?: number }): Promise<string>;
  /** SIGTERM, as systemd stops it (it hands its leases back); SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** `vpnctl agent` as its own process, the real binary, configured by `env` alone like on the VPN host. */
export function startAgentProcess(env: Record<string, string | undefined>, args: string[] = []): AgentProcess {
  const child = spawn(process.execPath, [BIN, 'agent', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = childOutput(child, 'vpnctl agent');
  return {
    output: output.text,
    waitFor: (pattern, { timeoutMs = 30_000, since = 0 } = {}) => output.waitFor(pattern, { timeoutMs, since }),
    stop: stopperFor(child, 10_000),
  };
}
