import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE_OPTIONS, LAMBDA_ENTRIES } from '../infra/lambda-bundling';
import { AwsLambdaReceiver } from '@slack/bolt';
import { connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { loadConfig } from '../src/config';
import { functionUrlEvent, slashCommandRequest } from '../src/local/slack-requests';
import { startSlackStandIn } from '../src/local/slack-standin/server';
import { createSlackApp } from '../src/slack/app';
import { createListenerDeps } from '../src/composition/slack-ingress';
import type { Job } from '../src/ports';
import { measure, ms, report } from './lib';

const SECRET = 'bench-secret';

/** lambda-bundle: the Slack handler as esbuild ships it to Lambda (minified), and how long a fresh Node takes to load it. */
async function bundleBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vpn-chatops-bundle-'));
  try {
    const outfile = join(dir, 'slack.js');
    await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [LAMBDA_ENTRIES.slack], outfile, logLevel: 'silent' });
    const runner = join(dir, 'load.js');
    writeFileSync(
      runner,
      `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`,
    );
    const times: number[] = [];
    for (let i = 0; i < 9; i++)
      times.push(
        Number(
          execFileSync(process.execPath, [runner], {
            env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          }).toString(),
        ),
      );
    times.sort((a, b) => a - b);
    report('lambda-bundle', { bytes: statSync(outfile).size, init_ms: ms(times[4]) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** slash-ack: a signed `/vpn issue` through the real receiver and app, warm, until the HTTP answer (the job only enqueued). */
async function ackBenchmark(): Promise<void> {
  const [slack, dynamo] = await Promise.all([startSlackStandIn(), startDynamoDbLocal()]);
  try {
    const config = loadConfig({
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_ID: 'BBOT',
      SLACK_BOT_USER_ID: 'UBOT',
      TABLE_NAME: 'bench-ack',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
    });
    const db = connectDatabase({ tableName: config.TABLE_NAME, endpoint: dynamo.endpoint });
    await ensureTable(db);
    const jobs: Job[] = [];
    const receiver = new AwsLambdaReceiver({ signingSecret: SECRET });
    createSlackApp({
      config,
      deps: createListenerDeps(config, db, { enqueue: async (job) => void jobs.push(job) }),
      receiver,
    });
    const handler = await receiver.start();
    const request = () =>
      functionUrlEvent(
        slashCommandRequest({ userId: 'U0ALICE', text: 'issue laptop', responseUrl: slack.mintResponseUrl('U0ALICE') }),
        SECRET,
      );
    const stats = await measure(
      async () => {
        const response = (await handler(request() as never, {} as never)) as { statusCode: number };
        if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
      },
      300,
      20,
    );
    report('slash-ack', { p50_ms: ms(stats.p50), p99_ms: ms(stats.p99), jobs: jobs.length });
    db.doc.destroy();
  } finally {
    await Promise.all([slack.stop(), dynamo.stop()]);
  }
}

export async function slackBenchmarks(): Promise<void> {
  await bundleBenchmark();
  await ackBenchmark();
}
