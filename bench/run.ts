import { approvalBenchmarks } from './approval';
import { crlPublishBenchmark } from './crl-publish';
import { logSummaryBenchmark } from './log-summary';
import { pkiBenchmarks } from './pki';
import { slackBenchmarks } from './slack';

/** `npm run bench`: one `name: key=value …` line per result, baselines side by side. */
async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await pkiBenchmarks();
  await crlPublishBenchmark();
  await slackBenchmarks();
  await approvalBenchmarks();
  await logSummaryBenchmark();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
