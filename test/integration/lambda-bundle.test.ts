import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE_OPTIONS, LAMBDA_ENTRIES } from '../../src/handlers/bundling';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { SIGNING_SECRET, slashCommand } from '../helpers/slack';
import { describeWith, run, tempDir } from '../helpers/tools';

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'the Slack function as bundled for Lambda', () => {
  let dir: ReturnType<typeof tempDir>;
  let slack: SlackStandIn;
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let bundle: string;

  beforeAll(async () => {
    dir = tempDir('bundle');
    [slack, db] = await Promise.all([startSlackStandIn(), testDatabase()]);
    bundle = join(dir.path, 'slack.js');
    await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [LAMBDA_ENTRIES.slack], outfile: bundle, logLevel: 'silent' });
  }, 60_000);
  afterAll(async () => {
    await slack?.stop();
    await db?.drop();
    dir?.remove();
  });

  /** Invoke the bundle's handler in a fresh Node (no node_modules next to it), as Lambda would. */
  async function invoke(events: unknown[]): Promise<{ statusCode: number; body: string }[]> {
    const runner = join(dir.path, 'invoke.js');
    writeFileSync(
      runner,
      `const { handler } = require(${JSON.stringify(bundle)});
       (async () => { const out = []; for (const e of ${JSON.stringify(events)}) out.push(await handler(e, {})); process.stdout.write('\\nRESULT ' + JSON.stringify(out)); })()
         .catch((error) => { console.error(error); process.exit(1); });`,
    );
    const env = {
      PATH: process.env.PATH,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_ID: 'BBOT',
      SLACK_BOT_USER_ID: 'UBOT',
      WORKER_FUNCTION_NAME: 'vpn-chatops-worker',
      TABLE_NAME: db.tableName,
      DYNAMODB_ENDPOINT,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    const result = await run(process.execPath, [runner], { cwd: dir.path, env });
    if (result.code !== 0) throw new Error(result.stderr);
    // Bolt logs to stdout too; the result is the last line.
    return JSON.parse(result.stdout.slice(result.stdout.lastIndexOf('\nRESULT ') + 8)) as { statusCode: number; body: string }[];
  }

  it('answers signed commands, reads DynamoDB, and refuses forged requests', async () => {
    const [help, status, forged] = await invoke([
      slashCommand('U0ALICE', 'help', slack.mintResponseUrl('U0ALICE')),
      slashCommand('U0ALICE', 'status', slack.mintResponseUrl('U0ALICE')),
      slashCommand('U0ALICE', 'status', slack.mintResponseUrl('U0ALICE'), { secret: 'forged' }),
    ]);
    expect(help.statusCode).toBe(200);
    expect(JSON.parse(help.body).text).toMatch(/issue/);
    expect(status.statusCode).toBe(200);
    expect(JSON.parse(status.body).text).toMatch(/no VPN certificates|no certificates/i);
    expect(forged.statusCode).toBe(401);
  }, 60_000);
});
