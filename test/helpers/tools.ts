import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findProgram } from '../../src/local/preflight';

const execFileAsync = promisify(execFile);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program to completion (bounded by `timeoutMs`) and report its exit code instead of throwing. */
export async function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof failure.code !== 'number') throw error;
    return { code: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? failure.message };
  }
}

/** Debian keeps easyrsa outside PATH. */
const onPath = (name: string) => findProgram(name, ['/usr/share/easy-rsa']);

export const OPENSSL = onPath('openssl');
export const OPENVPN = onPath('openvpn');
export const EASYRSA = onPath('easyrsa');
export const HAS_TUN = existsSync('/dev/net/tun');

/**
 * `describe` when every requirement is met. Otherwise the suite is skipped with the reason printed,
 * except under CI=true where a missing real counterpart is itself a failure.
 */
export function describeWith(requirements: Record<string, boolean>, name: string, body: () => void): void {
  const missing = Object.entries(requirements)
    .filter(([, ok]) => !ok)
    .map(([what]) => what);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const reason = `missing: ${missing.join(', ')} (install with apt-get install -y openvpn easy-rsa openssl)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its real counterparts installed (required when CI=true)', () => {
        throw new Error(reason);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${reason}`);
  describe.skip(name, body);
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `vpn-chatops-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
