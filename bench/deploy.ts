import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE_OPTIONS, LAMBDA_ENTRIES, LambdaName } from '../infra/lambda-bundling';
import { ms, report } from './lib';

const run = promisify(execFile);
const RUNS = 3;

/** synth: `npm run synth` end to end (CLI, app, five esbuild bundles), offline, p50 of a few runs. */
async function synthBenchmark(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = mkdtempSync(join(tmpdir(), 'vpn-chatops-synth-'));
    try {
      const started = performance.now();
      await run('npm', ['run', 'synth', '--', '--output', out], {
        env: { ...process.env, CI: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      });
      times.push(performance.now() - started);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  times.sort((a, b) => a - b);
  report('synth', { ms: ms(times[Math.floor(times.length / 2)]), runs: RUNS });
}

/** bundles: each function minified as it ships (test/integration/lambda-bundle.test.ts checks the CDK builds the same bytes). */
async function bundleSizes(): Promise<void> {
  const sizes: Record<string, number> = {};
  for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
    const result = await build({
      ...LAMBDA_BUNDLE_OPTIONS,
      entryPoints: [LAMBDA_ENTRIES[name]],
      write: false,
      outfile: `${name}.js`,
      logLevel: 'silent',
    });
    sizes[`${name}_bytes`] = result.outputFiles[0].contents.length;
  }
  report('bundles', sizes);
}

export async function deployBenchmarks(): Promise<void> {
  await synthBenchmark();
  await bundleSizes();
}
