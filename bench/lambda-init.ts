import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE_OPTIONS, LAMBDA_ENTRIES, LambdaName } from '../infra/lambda-bundling';
import { connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { storesFor } from '../src/adapters/dynamodb/stores';
import { encodeCn } from '../src/domain/cn';
import { HOUR_MS } from '../src/domain/time';
import { randomSerial } from '../src/pki/serial';
import { ms, report } from './lib';

const run = promisify(execFile);
/** Fresh processes per figure: each is one cold start, so a few give a stable median. */
const COLD_RUNS = 5;
/** The goal's figure, in turns with its baseline: more runs, as the machine's other work shows in single ones. */
const CONNECT_RUNS = 9;
const WARM_CALLS = 20;
const DOMAIN = 'vpn.example.com';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf';

/**
 * What Lambda's Node.js runtime does on a cold start, in a fresh process: require the bundle (its handler is built
 * at load), then, for the connect handler, one invocation with Client VPN's event and a few more warm ones.
 * Times are from the process's own origin, so Node's start is counted as Lambda counts it in Init Duration.
 */
const CHILD = `
const { performance } = require('node:perf_hooks');
const loadStarted = performance.now();
const { handler } = require(process.env.BENCH_BUNDLE);
const loaded = performance.now();
const out = { start_ms: loadStarted, require_ms: loaded - loadStarted, init_ms: loaded, origin: performance.timeOrigin };
(async () => {
  if (process.env.BENCH_EVENT) {
    const event = JSON.parse(process.env.BENCH_EVENT);
    const first = performance.now();
    out.call_at = first;
    out.answer = await handler(event, {});
    out.first_call_ms = performance.now() - first;
    out.cold_answer_ms = performance.now();
    const cpu = process.cpuUsage();
    out.cold_answer_cpu_ms = (cpu.user + cpu.system) / 1000;
    const warm = [];
    for (let i = 0; i < Number(process.env.BENCH_WARM_CALLS); i++) {
      const started = performance.now();
      await handler({ ...event, 'connection-id': 'cvpn-connection-warm' + i }, {});
      warm.push(performance.now() - started);
    }
    out.warm = warm;
  }
  process.stdout.write('\\nBENCH ' + JSON.stringify(out) + '\\n');
  process.exit(0);
})();
`;

interface ChildFigures {
  start_ms: number;
  require_ms: number;
  init_ms: number;
  origin: number;
  answer?: { allow: boolean };
  first_call_ms?: number;
  call_at?: number;
  cold_answer_ms?: number;
  cold_answer_cpu_ms?: number;
  warm?: number[];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function coldStart(bundle: string, env: Record<string, string> = {}): Promise<ChildFigures> {
  const { stdout } = await run(process.execPath, ['-e', CHILD], {
    env: {
      PATH: process.env.PATH,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      BENCH_BUNDLE: bundle,
      ...env,
    },
    maxBuffer: 1024 * 1024,
  });
  // The handler's own log lines (Powertools, as on Lambda) share stdout.
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('BENCH '));
  if (!line) throw new Error(`the cold start printed no figures: ${stdout.slice(-500)}`);
  return JSON.parse(line.slice('BENCH '.length)) as ChildFigures;
}

/** DynamoDB Local behind a pass-through proxy that notes when the first request of each cold start arrives. */
async function watchedDynamo(endpoint: string) {
  const target = new URL(endpoint);
  let first: number | undefined;
  const server = createServer((req, res) => {
    first ??= Date.now();
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** When the first request since the last call arrived (epoch ms), and start watching again. */
    takeFirst: () => {
      const at = first;
      first = undefined;
      return at;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function bundleOf(name: string, entry: string, dir: string): Promise<string> {
  const outfile = join(dir, `${name}.js`);
  await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [entry], outfile, logLevel: 'silent' });
  return outfile;
}

/** Secrets Manager's GetSecretValue for the Slack secret, answered locally and counted. */
async function secretsManagerStandIn() {
  let reads = 0;
  const secret = JSON.stringify({ SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: 'bench' });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      reads++;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ ARN: SECRET_ARN, Name: 'slack', SecretString: secret, VersionId: 'v1' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    takeReads: () => {
      const counted = reads;
      reads = 0;
      return counted;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * lambda-init: each function's bundle as it ships, loaded cold in fresh processes (require_ms: the bundle alone;
 * init_ms: from the process's start, as Lambda's Init Duration counts it). connect-cold-start: the connect handler's
 * cold start to its first DynamoDB request and to its answer (a remembered login on DynamoDB Local, with the Slack
 * credentials in the environment, so no Secrets Manager call), and its warm invocations.
 */
export async function lambdaInitBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vpn-chatops-bench-init-'));
  const dynamo = await startDynamoDbLocal();
  const proxy = await watchedDynamo(dynamo.endpoint);
  const secrets = await secretsManagerStandIn();
  try {
    const bundles = {} as Record<LambdaName, string>;
    for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[])
      bundles[name] = await bundleOf(name, LAMBDA_ENTRIES[name], dir);
    const secretFirst = await bundleOf('connect-secret-first', join(__dirname, 'connect-secret-first.ts'), dir);
    for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
      const figures: ChildFigures[] = [];
      for (let i = 0; i < COLD_RUNS; i++) figures.push(await coldStart(bundles[name]));
      report('lambda-init', {
        function: name,
        require_ms: ms(median(figures.map((f) => f.require_ms))),
        init_ms: ms(median(figures.map((f) => f.init_ms))),
        node_start_ms: ms(median(figures.map((f) => f.start_ms))),
        runs: COLD_RUNS,
      });
    }

    const tableName = `bench-${randomBytes(4).toString('hex')}`;
    const db = connectDatabase({ tableName, endpoint: dynamo.endpoint });
    await ensureTable(db);
    const stores = storesFor(db);
    const cn = encodeCn({ displayName: 'Member', slackId: 'U0COLD1', domain: DOMAIN });
    const serial = randomSerial();
    const now = Date.now();
    await stores.certificates.create({
      serial,
      cn,
      slackId: 'U0COLD1',
      status: 'active',
      issuedAt: new Date(now),
      notBefore: new Date(now - HOUR_MS),
      notAfter: new Date(now + 300 * 24 * HOUR_MS),
      source: 'issued',
      issuedBy: 'bench',
    });
    await stores.approvals.remember(serial, '198.51.100.7', {
      from: new Date(now - HOUR_MS),
      until: new Date(now + 7 * HOUR_MS),
    });
    db.doc.destroy();
    const event = {
      'connection-id': 'cvpn-connection-0123456789abcdef0',
      'endpoint-id': 'cvpn-endpoint-0123456789abcdef0',
      'common-name': cn,
      username: 'N/A',
      platform: 'mac',
      'platform-version': '14.5',
      'public-ip': '198.51.100.7',
      'client-openvpn-version': '2.6.14',
      'schema-version': 'v2',
    };
    // As deployed: the Slack credentials in the secret, the function's credentials in the environment.
    const env = {
      SLACK_SECRET_ID: SECRET_ARN,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: proxy.endpoint,
      CERT_DOMAIN: DOMAIN,
      VPN_ENDPOINTS: '[]',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'AWSClientVPN-bench',
      BENCH_EVENT: JSON.stringify(event),
      BENCH_WARM_CALLS: String(WARM_CALLS),
    };
    type Cold = {
      firstRead: number;
      callToRead: number;
      answer: number;
      cpu: number;
      firstCall: number;
      warm: number[];
      allowed: boolean;
    };
    const variants = { 'secret-first': secretFirst, 'secret-on-demand': bundles.connect };
    const cold: Record<string, Cold[]> = { 'secret-first': [], 'secret-on-demand': [] };
    const secretReads: Record<string, number> = { 'secret-first': 0, 'secret-on-demand': 0 };
    // Taken in turns, so the machine's other work weighs on both alike.
    for (let i = 0; i < CONNECT_RUNS; i++)
      for (const [variant, bundle] of Object.entries(variants)) {
        proxy.takeFirst();
        secrets.takeReads();
        const figures = await coldStart(bundle, env);
        const firstRead = proxy.takeFirst();
        secretReads[variant] += secrets.takeReads();
        cold[variant].push({
          firstRead: firstRead === undefined ? NaN : firstRead - figures.origin,
          callToRead: firstRead === undefined ? NaN : firstRead - figures.origin - figures.call_at!,
          answer: figures.cold_answer_ms!,
          cpu: figures.cold_answer_cpu_ms!,
          firstCall: figures.first_call_ms!,
          warm: figures.warm!,
          allowed: figures.answer?.allow === true,
        });
      }
    for (const [variant, runs] of Object.entries(cold)) {
      const warm = runs.flatMap((c) => c.warm).sort((a, b) => a - b);
      report('connect-cold-start', {
        variant,
        to_first_ddb_read_ms: ms(median(runs.map((c) => c.firstRead))),
        call_to_first_ddb_read_ms: ms(median(runs.map((c) => c.callToRead))),
        to_answer_ms: ms(median(runs.map((c) => c.answer))),
        // CPU time from the process's start to the answer: what the machine's other work does not inflate.
        to_answer_cpu_ms: ms(median(runs.map((c) => c.cpu))),
        first_call_ms: ms(median(runs.map((c) => c.firstCall))),
        warm_p50_ms: ms(warm[Math.floor(warm.length / 2)]),
        warm_p99_ms: ms(warm[Math.min(warm.length - 1, Math.ceil(0.99 * warm.length) - 1)]),
        secret_reads: secretReads[variant],
        allowed: runs.filter((c) => c.allowed).length,
        runs: CONNECT_RUNS,
        goal_ms: 400,
      });
    }
  } finally {
    await proxy.stop();
    await secrets.stop();
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
