import { pkiBenchmarks } from './pki';

/** `npm run bench`: one `name: key=value …` line per result, baselines side by side. */
async function main(): Promise<void> {
  await pkiBenchmarks();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
