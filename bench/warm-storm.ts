import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Database, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { cnKey } from '../src/adapters/dynamodb/certificate-store';
import { storesFor } from '../src/adapters/dynamodb/stores';
import { decideDeps } from '../src/composition/connect-handler';
import { loadConfig } from '../src/config';
import type { ConnectRequest } from '../src/domain/approval';
import type { CertificateRecord } from '../src/domain/certificate';
import { encodeCn } from '../src/domain/cn';
import { HOUR_MS } from '../src/domain/time';
import { randomSerial } from '../src/pki/serial';
import type { ApprovalNotifier } from '../src/ports';
import { DecideDeps, decideConnection } from '../src/services/decide-connection';
import { auditPartitions } from './audit-partitions';
import { ON_DEMAND_USD_PER_MILLION, ddbLocalCapacity, ddbLocalFloorMs, meterDatabase } from './ddb-meter';
import { ms, report } from './lib';

const MEMBERS = 2_000;
/** A first storm, discarded: DynamoDB Local's JIT and the client's sockets warm up, for both variants alike. */
const WARMUP = 200;
const DOMAIN = 'vpn.example.com';
/**
 * Enough connections that the queue is the database's, as on AWS, and few enough that DynamoDB Local on two shared
 * cores accepts them all in time (with 256, hundreds of logins timed out connecting and were refused).
 */
const SOCKETS = 100;
const ipOf = (i: number) => `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`;

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

/** Remembered logins never prompt: one reaching Slack is a failure of the benchmark's premise. */
const NO_PROMPTS: ApprovalNotifier = {
  prompt: async () => {
    throw new Error('a remembered login prompted');
  },
  settle: async () => undefined,
  alertAdmins: async () => undefined,
};

async function seed(stores: ReturnType<typeof storesFor>): Promise<CertificateRecord[]> {
  const now = Date.now();
  const records = Array.from({ length: MEMBERS }, (_, i): CertificateRecord => ({
    serial: randomSerial(),
    cn: encodeCn({ displayName: `Member ${i}`, slackId: `U0WARM${i}`, domain: DOMAIN }),
    slackId: `U0WARM${i}`,
    status: 'active',
    issuedAt: new Date(now - HOUR_MS),
    notBefore: new Date(now - HOUR_MS),
    notAfter: new Date(now + 300 * 24 * HOUR_MS),
    source: 'issued',
    issuedBy: 'bench',
  }));
  await stores.certificates.importMany(records);
  // Approved earlier today from the office or home: what makes the reconnect after an import a warm one.
  const window = { from: new Date(now - HOUR_MS), until: new Date(now + 7 * HOUR_MS) };
  for (let start = 0; start < records.length; start += 50)
    await Promise.all(
      records.slice(start, start + 50).map((r, j) => stores.approvals.remember(r.serial, ipOf(start + j), window)),
    );
  return records;
}

/** Every member's login at once; each one's time from the VPN's call to the answer. */
async function storm(
  deps: DecideDeps,
  records: CertificateRecord[],
): Promise<{ times: number[]; allowed: number; refused: Record<string, number> }> {
  const times: number[] = [];
  const refused: Record<string, number> = {};
  let allowed = 0;
  await Promise.all(
    records.map(async (record, i) => {
      const request: ConnectRequest = {
        connectionId: `cvpn-connection-${randomBytes(4).toString('hex')}`,
        endpointId: 'cvpn-endpoint-0123456789abcdef0',
        commonName: record.cn,
        publicIp: ipOf(i),
        platform: 'mac',
        platformVersion: '14.5',
        clientVersion: '5.0.1',
      };
      const started = performance.now();
      const decision = await decideConnection(deps, request);
      times.push(performance.now() - started);
      if (decision.allow && decision.reason === 'remembered') allowed++;
      else refused[decision.reason] = (refused[decision.reason] ?? 0) + 1;
    }),
  );
  return { times: times.sort((a, b) => a - b), allowed, refused };
}

/**
 * The production client's settings (connectDatabase), with room for every login's requests at once: on Lambda each
 * login has a container and its own connection, so the 50 sockets one client would share here are not AWS's queue.
 */
function containersDatabase(tableName: string, endpoint: string): Database {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    requestHandler: {
      httpAgent: new Agent({ keepAlive: true, maxSockets: SOCKETS }),
      connectionTimeout: 2_000,
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    },
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { doc, tableName, where: `table ${tableName} at ${endpoint}` };
}

/**
 * warm-storm-2000: after an AWS CRL import every session resets and 2,000 members reconnect at once, each with a
 * remembered approval, through the connect handler's wiring on DynamoDB Local. Beside it, the same storm reading
 * the certificate and the remembered approval one after the other, as before the LoginReader.
 */
export async function warmStormBenchmark(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const dir = mkdtempSync(join(tmpdir(), 'vpn-chatops-bench-warm-'));
  const db = containersDatabase(`bench-${randomBytes(4).toString('hex')}`, dynamo.endpoint);
  try {
    await ensureTable(db);
    const records = await seed(storesFor(db));
    const meter = meterDatabase(db);
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: 'bench',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      TABLE_NAME: db.tableName,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      STATE_DIR: dir,
      CERT_DOMAIN: DOMAIN,
      VPN_ENDPOINTS: '[]',
      AWS_REGION: 'us-east-1',
    });
    const wired = decideDeps(config, db);
    const batched: DecideDeps = {
      ...wired,
      notifier: NO_PROMPTS,
      within: (deadline) => ({ ...wired.within!(deadline), notifier: NO_PROMPTS }),
    };
    const oneByOne: DecideDeps = {
      ...batched,
      logins: undefined,
      within: (deadline) => ({ ...batched.within!(deadline), logins: undefined }),
    };
    await storm(batched, records.slice(0, WARMUP));
    const perSecond = await ddbLocalCapacity(
      db,
      records.map((record) => cnKey(record.cn)),
    );
    report('ddb-local-capacity', { consistent_gets_per_s: perSecond.toFixed(0), requests: records.length });
    for (const [variant, deps] of [
      ['one-by-one', oneByOne],
      ['batched', batched],
    ] as const) {
      meter.reset();
      const from = new Date();
      const started = performance.now();
      const { times, allowed, refused } = await storm(deps, records);
      const wall = performance.now() - started;
      report(`warm-storm-${MEMBERS}`, {
        variant,
        logins: MEMBERS,
        remembered: allowed,
        refused:
          Object.entries(refused)
            .map(([reason, count]) => `${reason}:${count}`)
            .join(',') || 0,
        p50_ms: ms(percentile(times, 0.5)),
        p99_ms: ms(percentile(times, 0.99)),
        wall_ms: ms(wall),
        ...meter.figures(MEMBERS),
        // How long DynamoDB Local alone needs for this many requests: the storm cannot end sooner on this machine.
        usd_per_1000_logins: (
          ((meter.readUnits * ON_DEMAND_USD_PER_MILLION.read + meter.writeUnits * ON_DEMAND_USD_PER_MILLION.write) /
            1e6 /
            MEMBERS) *
          1000
        ).toFixed(5),
        price: `on-demand-usd-per-million(read=${ON_DEMAND_USD_PER_MILLION.read},write=${ON_DEMAND_USD_PER_MILLION.write})`,
        ddb_local_floor_ms: ms(ddbLocalFloorMs(meter.requests, perSecond)),
        by_operation: Object.entries(meter.byOperation)
          .map(([operation, count]) => `${operation.replace(/Command$/, '')}:${count}`)
          .join(','),
      });
      report('audit-partitions', { variant, ...(await auditPartitions(db, from)) });
    }
  } finally {
    db.doc.destroy();
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
