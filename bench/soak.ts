import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConsoleDriver } from '../test/helpers/console-driver';
import { CONNECTED, clientArgs, startOpenVpn } from '../test/helpers/openvpn';
import { freeStackPorts, stackEnv, startStackProcess } from '../test/helpers/stack';
import { tempDir } from '../test/helpers/tools';

/**
 * A soak of the local stack, not part of `npm test` or `npm run bench`: `npx tsx bench/soak.ts [minutes]`
 * (default 30, at most 120). Real OpenVPN logins through `npm start`'s entry point, one after another,
 * each approved with a 👍 in the console; every minute the app's RSS and open fds, one line each:
 * `soak: t_s=… logins=… failures=… rss_mb=… fds=…`. Needs root, openvpn, /dev/net/tun and Java.
 */
const MEMBERS = ['U0ALICE', 'U0BOB', 'U0ADMIN'];
const SAMPLE_MS = 60_000;

function sample(pid: number): { rssMb: number; fds: number } {
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { rssMb: rss ? Number(rss[1]) / 1024 : NaN, fds: readdirSync(`/proc/${pid}/fd`).length };
}

async function login(slack: ConsoleDriver, member: string, profile: string): Promise<void> {
  const before = (await slack.dm(member)).at(-1)?.ts ?? '0';
  const client = startOpenVpn(clientArgs(profile));
  try {
    const prompt = await slack.prompt(member, before, 30_000);
    await slack.react(member, prompt);
    await client.waitFor(CONNECTED, { timeoutMs: 30_000 });
  } finally {
    await client.stop();
  }
}

async function main(): Promise<void> {
  const minutes = Math.min(Math.max(Number(process.argv[2] ?? 30), 1), 120);
  const dir = tempDir('soak');
  const ports = await freeStackPorts();
  // Every login asks (nothing remembered), and three members share the load under the per-member prompt limit.
  const env = stackEnv(join(dir.path, 'state'), ports, { REMEMBER_HOURS: '0', PROMPT_LIMIT: '100' });
  const stack = startStackProcess(env);
  try {
    await stack.waitFor(/Press Ctrl-C to stop/, 180_000);
    const slack = new ConsoleDriver(ports.port);
    const profiles = new Map<string, string>();
    for (const member of MEMBERS) {
      const path = join(dir.path, `${member}.ovpn`);
      await slack.issue(member, 'soak', path);
      profiles.set(member, path);
    }
    const pid = stack.child.pid!;
    const began = performance.now();
    const end = began + minutes * 60_000;
    let nextSample = began;
    let logins = 0;
    let failures = 0;
    for (let round = 0; performance.now() < end; round++) {
      if (performance.now() >= nextSample) {
        const { rssMb, fds } = sample(pid);
        console.log(
          `soak: t_s=${Math.round((performance.now() - began) / 1000)} logins=${logins} failures=${failures} rss_mb=${rssMb.toFixed(1)} fds=${fds}`,
        );
        nextSample += SAMPLE_MS;
      }
      const member = MEMBERS[round % MEMBERS.length];
      try {
        await login(slack, member, profiles.get(member)!);
        logins += 1;
      } catch (error) {
        failures += 1;
        console.error(
          `soak: login ${round} (${member}) failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        );
      }
    }
    const { rssMb, fds } = sample(pid);
    console.log(
      `soak: t_s=${Math.round((performance.now() - began) / 1000)} logins=${logins} failures=${failures} rss_mb=${rssMb.toFixed(1)} fds=${fds} (end)`,
    );
  } finally {
    await stack.interrupt(60_000);
    dir.remove();
  }
}

void main();
