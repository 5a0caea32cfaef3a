import { agentBenchmarks } from './agent';
import { approvalBenchmarks } from './approval';
import { crlPublishBenchmark } from './crl-publish';
import { deployBenchmarks } from './deploy';
import { expirySweepBenchmark } from './expiry-sweep';
import { lambdaInitBenchmark } from './lambda-init';
import { logSummaryBenchmark } from './log-summary';
import { offboardBenchmark } from './offboard';
import { pkiBenchmarks } from './pki';
import { scaleViewsBenchmark } from './scale-views';
import { scaleJobsBenchmark } from './scale-jobs';
import { slackBenchmarks } from './slack';
import { startBenchmark } from './start';
import { tlsSummaryBenchmark } from './tls-summary';
import { tlsCryptV2DropBenchmark } from './tls-crypt-v2-drop';
import { warmStormBenchmark } from './warm-storm';

const GROUPS: Record<string, () => Promise<void>> = {
  pki: pkiBenchmarks,
  'crl-publish': crlPublishBenchmark,
  slack: slackBenchmarks,
  approval: approvalBenchmarks,
  agent: agentBenchmarks,
  deploy: deployBenchmarks,
  start: startBenchmark,
  'log-summary': logSummaryBenchmark,
  'expiry-sweep': expirySweepBenchmark,
  offboard: offboardBenchmark,
  'tls-summary': tlsSummaryBenchmark,
  'tls-crypt-v2-drop': tlsCryptV2DropBenchmark,
  'warm-storm': warmStormBenchmark,
  'lambda-init': lambdaInitBenchmark,
  'scale-views': scaleViewsBenchmark,
  'scale-jobs': scaleJobsBenchmark,
};

/** `npm run bench [group …]`: one `name: key=value …` line per result, baselines side by side; no group means all. */
async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const chosen = process.argv.slice(2);
  const unknown = chosen.filter((name) => !(name in GROUPS));
  if (unknown.length)
    throw new Error(`Unknown benchmark group ${unknown.join(', ')}; choose from ${Object.keys(GROUPS).join(', ')}.`);
  for (const [name, benchmark] of Object.entries(GROUPS))
    if (chosen.length === 0 || chosen.includes(name)) await benchmark();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
