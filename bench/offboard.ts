import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { storesFor } from '../src/adapters/dynamodb/stores';
import { LocalCaStore } from '../src/adapters/local-files/ca-store';
import { createSlackLambdaHandler } from '../src/composition/slack-lambda';
import { createAdmin, inProcessJobs } from '../src/composition/worker';
import { loadConfig } from '../src/config';
import { blockActionRequest, eventCallbackRequest, functionUrlEvent } from '../src/local/slack-requests';
import { ACTION } from '../src/slack/ids';
import { startSlackStandIn } from '../src/local/slack-standin/server';
import { caMaterial } from '../src/pki/ca';
import { parseCrl } from '../src/pki/crl';
import { RECONCILE_PACE } from '../src/services/offboarding';
import type { InProcessJobQueue } from '../src/slack/jobs/in-process-queue';
import { CONNECTED, RunningOpenVpn, prepareTestVpn } from '../test/helpers/openvpn';
import { certificateRecord } from '../test/helpers/records';
import { HAS_TUN, OPENVPN, tempDir } from '../test/helpers/tools';
import { ms, report } from './lib';
import { reconcileAtScale } from './offboard-reconcile';

const SECRET = 'bench-secret';
/** People offboarded by a user_change event, one after another, each with a live session. */
const PEOPLE = 20;
/** The baseline: the same end asked by an admin, timed from their Revoke click on `/vpn revoke @user`'s confirmation. */
const MANUAL = 5;
const HALTED = /server-pushed-halt\] received, process exiting/;

const memberId = (path: string, i: number) => `U0${path}${String(i).padStart(3, '0')}`;

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`bench offboard: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const crlLists = (file: string, serial: string) => {
  try {
    return parseCrl(readFileSync(file, 'utf8')).revocations.some((r) => r.serial === serial);
  } catch {
    return false;
  }
};

/**
 * offboard: DynamoDB Local, the Slack stand-in, a real OpenVPN server and the real Bolt app with the
 * worker in process (as `npm start` runs it). For each person: connect, then Slack's signed user_change
 * for their deactivation; timed to the client logging the server's halt, and to the serial in crl.pem.
 */
export async function offboardBenchmark(): Promise<void> {
  await reconcileAtScale();
  if (OPENVPN === undefined || !HAS_TUN) {
    report('offboard', { skipped: 'openvpn or /dev/net/tun missing' });
    return;
  }
  const users = ['E', 'M'].flatMap((path) =>
    Array.from({ length: PEOPLE }, (_, i) => ({
      id: memberId(path, i),
      name: `m${path}${i}`,
      real_name: `Member ${path} ${i}`,
    })),
  );
  const [vpn, slack, dynamo] = await Promise.all([
    prepareTestVpn({ prefix: 'bench-offboard', management: true, initialCrl: false }),
    startSlackStandIn({ users: [{ id: 'U0ADMIN', name: 'ada', real_name: 'Ada Admin', is_admin: true }, ...users] }),
    startDynamoDbLocal(),
  ]);
  const stateDir = tempDir('bench-offboard-state');
  const db = connectDatabase({ tableName: 'bench-offboard', endpoint: dynamo.endpoint });
  const queues: InProcessJobQueue[] = [];
  const clients: RunningOpenVpn[] = [];
  try {
    await ensureTable(db);
    await new LocalCaStore(stateDir.path).save(caMaterial(vpn.ca));
    const config = loadConfig({
      TABLE_NAME: db.tableName,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      CERT_DOMAIN: 'vpn.test',
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.apiUrl,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_ID: 'BBOT',
      SLACK_BOT_USER_ID: 'UBOT',
      ADMIN_SLACK_IDS: 'U0ADMIN',
      ADMIN_CHANNEL_ID: 'C0VPNADMINS',
      STATE_DIR: stateDir.path,
      VPN_ENDPOINTS: JSON.stringify([
        {
          type: 'openvpn',
          name: 'bench',
          management: vpn.management,
          crlFile: vpn.files.crl,
          remote: vpn.remote,
          tlsCryptKeyFile: vpn.files.tlsCrypt,
        },
      ]),
    });
    const { admin } = await createAdmin(config, db);
    const [first] = await admin.publishAll('U0ADMIN');
    if (first.outcome !== 'published') throw new Error(`bench offboard: no first CRL (${first.outcome})`);
    await vpn.start();
    const bolt = createSlackLambdaHandler(
      () => config,
      async (given, database) => {
        const queue = await inProcessJobs(given, database);
        queues.push(queue);
        return queue;
      },
    ) as (event: unknown, context: unknown) => Promise<{ statusCode: number }>;
    const certificates = storesFor(db).certificates;

    /** Connected with a certificate on record; then `end` is sent and timed to the halt and to crl.pem. */
    async function timed(path: string, i: number, end: (user: string) => Promise<{ statusCode: number }>) {
      const user = memberId(path, i);
      const { issued, path: profile } = await vpn.profileFor(`Member ${path} ${i}`, user);
      await certificates.create(
        certificateRecord({ serial: issued.serial, cn: issued.cn, slackId: user, notAfter: issued.notAfter }),
      );
      const client = vpn.startClient(profile);
      clients.push(client);
      await client.waitFor(CONNECTED);
      const started = performance.now();
      const ended = client.waitFor(HALTED, { timeoutMs: 60_000 }).then(() => performance.now() - started);
      const onDisk = until(
        () => (crlLists(vpn.files.crl, issued.serial) ? performance.now() - started : undefined),
        `${issued.serial} in crl.pem`,
      );
      const answer = await end(user);
      if (answer.statusCode !== 200) throw new Error(`bench offboard: the app answered ${answer.statusCode}`);
      const [sessionMs, crlMs] = await Promise.all([ended, onDisk]);
      await Promise.all(queues.map((queue) => queue.idle()));
      await client.stop();
      return { sessionMs, crlMs };
    }

    const event: { sessionMs: number; crlMs: number }[] = [];
    for (let i = 0; i < PEOPLE; i++)
      event.push(
        await timed('E', i, (user) =>
          bolt(
            functionUrlEvent(
              eventCallbackRequest(slack.changeAccount(user, { deleted: true }), `Ev0BENCHOFF${i}`),
              SECRET,
            ),
            {},
          ),
        ),
      );
    const manual: { sessionMs: number; crlMs: number }[] = [];
    for (let i = 0; i < MANUAL; i++)
      manual.push(
        await timed('M', i, (user) =>
          bolt(
            functionUrlEvent(
              blockActionRequest({
                userId: 'U0ADMIN',
                actionId: ACTION.revokeConfirm,
                value: JSON.stringify({ slackId: user, reason: 'affiliationChanged' }),
                responseUrl: slack.mintResponseUrl('U0ADMIN'),
                container: { type: 'message', channelId: 'C0GENERAL', messageTs: slack.nextTs(), isEphemeral: true },
              }),
              SECRET,
            ),
            {},
          ),
        ),
      );
    const sessions = event.map((e) => e.sessionMs);
    const crls = event.map((e) => e.crlMs);
    report('offboard', {
      session_ended_p50_ms: ms(percentile(sessions, 0.5)),
      session_ended_p90_ms: ms(percentile(sessions, 0.9)),
      session_ended_max_ms: ms(Math.max(...sessions)),
      crl_published_p50_ms: ms(percentile(crls, 0.5)),
      crl_published_p90_ms: ms(percentile(crls, 0.9)),
      crl_published_max_ms: ms(Math.max(...crls)),
      people: PEOPLE,
      manual_revoke_session_p50_ms: ms(
        percentile(
          manual.map((m) => m.sessionMs),
          0.5,
        ),
      ),
      manual_revoke_crl_p50_ms: ms(
        percentile(
          manual.map((m) => m.crlMs),
          0.5,
        ),
      ),
      manual_runs: MANUAL,
      // Without the event, the daily reconcile: up to a day, plus the holder's place in the paced lookups or pages.
      reconcile_bound_s: `86400+(holders<=${RECONCILE_PACE.listAbove}?${(RECONCILE_PACE.intervalMs / 1000).toFixed(2)}*holders:${RECONCILE_PACE.pageIntervalMs / 1000}*accounts/${RECONCILE_PACE.pageSize})`,
    });
  } finally {
    await Promise.all(queues.map((queue) => queue.idle()));
    await Promise.all(clients.map((client) => client.stop()));
    await vpn.stop();
    db.doc.destroy();
    await Promise.all([slack.stop(), dynamo.stop()]);
    stateDir.remove();
  }
}
