import { join } from 'node:path';

/** Entry points of the Lambda functions, relative to the repository root. */
export const LAMBDA_ENTRIES = {
  slack: 'src/handlers/slack.ts',
  worker: 'src/handlers/worker.ts',
} as const;

const STUB = join(__dirname, 'unavailable.ts');


/** esbuild options shared by the CDK app and the bundle benchmark, so what is measured is what ships. */
export const LAMBDA_BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node' as const,
  target: 'node22',
  format: 'cjs' as const,
  alias: { express: STUB, 'raw-body': STUB, '@slack/socket-mode': STUB, '@slack/oauth': STUB },
};
