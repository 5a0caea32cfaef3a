import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Set by the agent bundle's build (infra/agent-bundle.ts): a VPN host has the one file, no package.json beside it. */
declare const VPNCTL_VERSION: string | undefined;

/** vpn-chatops's version, as `vpnctl --version` prints it and each agent heartbeat reports it. */
export function packageVersion(): string {
  if (typeof VPNCTL_VERSION === 'string') return VPNCTL_VERSION;
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
