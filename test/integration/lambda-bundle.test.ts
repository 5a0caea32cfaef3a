import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { buildApp } from '../../infra/bin/app';
import { LAMBDA_BUNDLE_OPTIONS, LAMBDA_ENTRIES, LambdaName } from '../../infra/lambda-bundling';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { SIGNING_SECRET, slashCommand } from '../helpers/slack';
import { describeWith, run, tempDir } from '../helpers/tools';

const MiB = 1024 * 1024;
/**
 * Each function's budget. Slack's 3 s and Client VPN's 30 s include a cold start, so the Slack function and
 * the connect handler are held tight (the connect handler well under its size today: PKI or Bolt creeping in
 * fails here). The worker and the scheduler run off those paths and carry the EC2 client (~560 KB) and
 * node-forge (~300 KB); serving self-hosted endpoints through their agents took the worker past 1.5 MiB.
 */
const MAX_BUNDLE_BYTES: Record<LambdaName, number> = {
  slack: 1.5 * MiB,
  connect: 0.75 * MiB,
  alarms: 0.75 * MiB,
  worker: 1.75 * MiB,
  scheduler: 1.75 * MiB,
  // The EventBridge client (~490 KB) and a stream record reader: no Slack, no PKI, off every user-facing clock.
  auditStream: 0.75 * MiB,
};
/** Construct ids of the functions in infra/stack.ts. */
const CONSTRUCT: Record<LambdaName, string> = {
  slack: 'Slack',
  worker: 'Worker',
  connect: 'Connect',
  scheduler: 'Scheduler',
  alarms: 'Alarms',
  auditStream: 'AuditStream',
};

/**
 * The bundles as `cdk synth` builds them for Lambda (NodejsFunction, local esbuild), checked byte for
 * byte against the shared esbuild options the benchmark measures, then run in a fresh Node with no
 * node_modules next to them, as Lambda would.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the Lambda functions as `cdk synth` bundles them',
  () => {
    let dir: ReturnType<typeof tempDir>;
    let slack: SlackStandIn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    const bundles = {} as Record<LambdaName, string>;

    beforeAll(async () => {
      dir = tempDir('bundle');
      [slack, db] = await Promise.all([startSlackStandIn(), testDatabase()]);
      const outdir = join(dir.path, 'cdk.out');
      const app = new App({
        outdir,
        context: {
          region: 'eu-west-1',
          domain: 'vpn.example.com',
          endpoint: 'cvpn-endpoint-0123456789abcdef0',
          adminChannelId: 'C0123456789',
          'aws:cdk:enable-asset-metadata': true,
        },
      });
      const stack = buildApp(app);
      const resources = app.synth().getStackByName(stack.stackName).template.Resources as Record<
        string,
        { Type: string; Metadata?: Record<string, string> }
      >;
      for (const [name, id] of Object.entries(CONSTRUCT) as [LambdaName, string][]) {
        const [resource] = Object.entries(resources).filter(
          ([logicalId, r]) => r.Type === 'AWS::Lambda::Function' && new RegExp(`^${id}[0-9A-F]{8}$`).test(logicalId),
        );
        bundles[name] = join(outdir, resource[1].Metadata!['aws:asset:path'], 'index.js');
      }
    }, 120_000);
    afterAll(async () => {
      await slack?.stop();
      await db?.drop();
      dir?.remove();
    });

    /** Call the bundle's handler in a fresh Node for each event; the last stdout line carries the results. */
    async function invoke(
      name: LambdaName,
      events: unknown[],
      env: Record<string, string | undefined> = {},
    ): Promise<{ ok?: unknown; error?: string }[]> {
      const runner = join(dir.path, `invoke-${name}.js`);
      writeFileSync(
        runner,
        `const { handler } = require(${JSON.stringify(bundles[name])});
       (async () => { const out = []; for (const e of ${JSON.stringify(events)}) { try { out.push({ ok: await handler(e, {}) }); } catch (error) { out.push({ error: error.message }); } } process.stdout.write('\\nRESULT ' + JSON.stringify(out)); })()
         .catch((error) => { console.error(error); process.exit(1); });`,
      );
      const result = await run(process.execPath, [runner], {
        cwd: dir.path,
        env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      });
      if (result.code !== 0) throw new Error(result.stderr);
      // Bolt logs to stdout too; the result is the last line.
      return JSON.parse(result.stdout.slice(result.stdout.lastIndexOf('\nRESULT ') + 8)) as {
        ok?: unknown;
        error?: string;
      }[];
    }

    it('ships exactly what the shared esbuild options build, each bundle within its budget', async () => {
      for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
        const direct = await build({
          ...LAMBDA_BUNDLE_OPTIONS,
          entryPoints: [LAMBDA_ENTRIES[name]],
          write: false,
          outfile: `${name}.js`,
          logLevel: 'silent',
        });
        const shipped = readFileSync(bundles[name]);
        expect([name, shipped.equals(Buffer.from(direct.outputFiles[0].contents))]).toEqual([name, true]);
        expect([name, shipped.length <= MAX_BUNDLE_BYTES[name]]).toEqual([name, true]);
      }
    }, 60_000);

    it('keeps PKI and Bolt out of the connect handler, the smallest of the four main functions', async () => {
      const { metafile } = await build({
        ...LAMBDA_BUNDLE_OPTIONS,
        entryPoints: [LAMBDA_ENTRIES.connect],
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(metafile.inputs).map((file) => relative(process.cwd(), file));
      expect(inputs.filter((file) => /node_modules\/(node-forge|@slack\/bolt)\/|^src\/pki\//.test(file))).toEqual([]);
      const size = (name: LambdaName) => readFileSync(bundles[name]).length;
      for (const other of ['slack', 'worker', 'scheduler'] as const) expect(size('connect')).toBeLessThan(size(other));
    });

    it('Slack: answers signed commands, reads DynamoDB, and refuses forged requests', async () => {
      const env = {
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
      const [help, status, forged] = (
        await invoke(
          'slack',
          [
            slashCommand('U0ALICE', 'help', slack.mintResponseUrl('U0ALICE')),
            slashCommand('U0ALICE', 'status', slack.mintResponseUrl('U0ALICE')),
            slashCommand('U0ALICE', 'status', slack.mintResponseUrl('U0ALICE'), { secret: 'forged' }),
          ],
          env,
        )
      ).map((result) => result.ok as { statusCode: number; body: string });
      expect(help.statusCode).toBe(200);
      expect(JSON.parse(help.body).text).toMatch(/issue/);
      expect(status.statusCode).toBe(200);
      expect(JSON.parse(status.body).text).toMatch(/no VPN certificates|no certificates/i);
      expect(forged.statusCode).toBe(401);
    }, 60_000);

    it('connect, scheduler, alarms and worker: load and answer in plain Node, failing closed and saying why', async () => {
      const [connect] = await invoke('connect', [{ 'schema-version': 'v2' }]);
      expect(connect.ok).toEqual({
        allow: false,
        'error-msg-on-denied-connection': expect.stringMatching(/could not read your certificate name/),
        'posture-compliance-statuses': [],
        'schema-version': 'v2',
      });
      const [misconfigured] = await invoke(
        'connect',
        [{ 'common-name': 'jane-U0JANE.vpn.example.com', 'public-ip': '198.51.100.7' }],
        { CERT_DAYS: 'soon' },
      );
      expect(misconfigured.ok).toMatchObject({
        allow: false,
        'error-msg-on-denied-connection':
          'The VPN login check is misconfigured, so logins are refused. Tell your VPN admin.',
      });
      const [unknownTask] = await invoke('scheduler', [{ task: 'reboot' }]);
      expect(unknownTask.error).toBe(
        'The scheduler was invoked with "reboot"; expected {"task": one of daily, agents, expiry, floods, offboarding}.',
      );
      const [noChannel] = await invoke('alarms', [{ Records: [{ Sns: { Message: 'ping' } }] }], {
        SLACK_BOT_TOKEN: 'xoxb-test',
      });
      expect(noChannel.error).toBe('ADMIN_CHANNEL_ID is not set: alarms have nowhere to go in Slack.');
      const [workerWithoutCa] = await invoke('worker', [{ type: 'home', userId: 'U0ALICE' }], {
        SLACK_BOT_TOKEN: 'xoxb-test',
        CERT_DAYS: 'soon',
      });
      expect(workerWithoutCa.error).toMatch(/CERT_DAYS: must be a whole number/);
    }, 60_000);

    it('auditStream: loads in plain Node, passes over what is not an audit entry, and reports one it could not send', async () => {
      const image = {
        type: { S: 'audit' },
        id: { S: 'e1' },
        at: { S: '2026-03-01T11:30:00.000Z' },
        actor: { S: 'U0ADMIN' },
        action: { S: 'certificate.revoke' },
        target: { S: 'U0ALICE' },
        outcome: { S: 'success' },
      };
      const env = {
        AWS_REGION: 'eu-west-1',
        EVENT_BUS_NAME: 'vpn-chatops',
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        // Nothing listens there: the entry is signed and sent, and fails.
        AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:9/',
      };
      const [quiet, unsent] = await invoke(
        'auditStream',
        [
          { Records: [{ eventName: 'REMOVE', dynamodb: { SequenceNumber: '1' } }] },
          { Records: [{ eventName: 'INSERT', dynamodb: { SequenceNumber: '2', NewImage: image } }] },
        ],
        env,
      );
      expect(quiet.ok).toEqual({ batchItemFailures: [] });
      expect(unsent.ok).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
      const [unconfigured] = await invoke('auditStream', [{ Records: [] }], { AWS_REGION: 'eu-west-1' });
      expect(unconfigured.error).toBe('EVENT_BUS_NAME and AWS_REGION must be set for the audit stream.');
    }, 60_000);
  },
);
