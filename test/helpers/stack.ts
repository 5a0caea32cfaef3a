import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { childOutput } from './child-output';
import { freeUdpPort } from './openvpn';

const ROOT = join(__dirname, '..', '..');

/** Settings a developer's shell may carry that would point the stack elsewhere than the test wants. */
const INHERITED_OUT = [
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_API_URL',
  'VPN_ENDPOINTS',
  'DYNAMODB_ENDPOINT',
  'AWS_REGION',
  'CA_SECRET_ID',
  'ADMIN_SLACK_IDS',
  'ADMIN_CHANNEL_ID',
  'TEST_DYNAMODB_ENDPOINT',
];

export interface StackPorts {
  port: number;
  dynamodb: number;
  vpn: number;
  management: number;
}

export async function freeStackPorts(): Promise<StackPorts> {
  const [port, dynamodb, vpn, management] = await Promise.all([
    freeTcpPort(),
    freeTcpPort(),
    freeUdpPort(),
    freeTcpPort(),
  ]);
  return { port, dynamodb, vpn, management };
}

/** The environment `npm start` gets in a test: its own state dir and free loopback ports, and no tunnel set-up. */
export function stackEnv(
  stateDir: string,
  ports: StackPorts,
  overrides: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_OUT) delete env[name];
  return {
    ...env,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    STATE_DIR: stateDir,
    PORT: String(ports.port),
    DYNAMODB_ENDPOINT: `http://127.0.0.1:${ports.dynamodb}`,
    LOCAL_VPN_PORT: String(ports.vpn),
    LOCAL_VPN_MANAGEMENT_PORT: String(ports.management),
    LOCAL_VPN_NOEXEC: 'true',
    ...overrides,
  };
}

export interface StackProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once `pattern` appears; rejects when the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (undefined if it had to be killed after `timeoutMs`). */
  exited(timeoutMs?: number): Promise<number | null | undefined>;
  /** Ctrl-C, as a person would stop it; then the exit code. */
  interrupt(timeoutMs?: number): Promise<number | null | undefined>;
}

/** `npm start` without npm: the same entry point, one process, so a signal reaches it directly. */
export function startStackProcess(env: NodeJS.ProcessEnv): StackProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = childOutput(child, 'npm start');
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const exited = async (timeoutMs = 30_000) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const code = await Promise.race([exit, timeout]);
    clearTimeout(timer);
    if (code === undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
    return code;
  };

  return {
    child,
    output: output.text,
    waitFor: (pattern, timeoutMs = 120_000) => output.waitFor(pattern, { timeoutMs }),
    exited,
    interrupt: (timeoutMs) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited(timeoutMs);
    },
  };
}

/** The pids the stack recorded in its lock for its children (DynamoDB Local, OpenVPN). */
export function lockedChildren(stateDir: string): number[] {
  try {
    const lock = JSON.parse(readFileSync(join(stateDir, 'npm-start.lock'), 'utf8')) as { children?: { pid: number }[] };
    return (lock.children ?? []).map((child) => child.pid);
  } catch {
    return [];
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
