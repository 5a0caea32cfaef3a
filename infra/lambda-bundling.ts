import { join } from 'node:path';

/** Entry points of the Lambda functions, relative to the repository root (the CDK app deploys exactly these). */
export const LAMBDA_ENTRIES = {
  slack: 'src/handlers/slack.ts',
  connect: 'src/handlers/connect.ts',
  worker: 'src/handlers/worker.ts',
  scheduler: 'src/handlers/scheduler.ts',
  alarms: 'src/handlers/alarms.ts',
  auditStream: 'src/handlers/audit-stream.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

const STUB = join(__dirname, 'unavailable.ts');

/** esbuild options shared by the CDK app and the bundle benchmark, so what is measured is what ships. */
export const LAMBDA_BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node' as const,
  // Syntax as of Node.js 22: the nodejs24.x runtime runs it unchanged, and so does the Node the bundle tests use.
  target: 'node22',
  format: 'cjs' as const,
  // Packages' ESM builds, so esbuild can drop the AWS SDK schemas a function never uses (worker 2.1 → 1.4 MB).
  mainFields: ['module', 'main'],
  alias: { express: STUB, 'raw-body': STUB, '@slack/socket-mode': STUB, '@slack/oauth': STUB },
};
