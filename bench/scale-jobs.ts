import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { storesFor } from '../src/adapters/dynamodb/stores';
import { loadConfig } from '../src/config';
import type { Approval } from '../src/domain/approval';
import type { CertificateRecord } from '../src/domain/certificate';
import { effectiveStatus } from '../src/domain/certificate';
import type { Reminder } from '../src/domain/expiry';
import { DAY_MS, sleep } from '../src/domain/time';
import { createCa, loadCa } from '../src/pki/ca';
import { randomSerial } from '../src/pki/serial';
import type { ExpiryNotifier, LiveCrl, VpnEndpoint, VpnSession } from '../src/ports';
import { RECONCILE_PACE } from '../src/services/offboarding';
import { REMINDER_DAYS, REMINDER_PACE, sendExpiryReminders } from '../src/services/reminders';
import { EXPIRY_LOOKBACK_MS, sweepExpiry } from '../src/services/expiry-sweep';
import { sweepSessions } from '../src/services/sessions';
import { VpnAdmin } from '../src/services/vpn-admin';
import { type DdbMeter, meterDatabase } from './ddb-meter';
import { ms, report } from './lib';

const CERTIFICATES = 20_000;
const REVOCATIONS = 20_000;
/** Half the company online when the sweep runs; 100 of them on certificates revoked since they connected. */
const ONLINE = 10_000;
const STALE_SESSIONS = 100;
/** 20,000 year-long certificates: about 55 run out each day. */
const EXPIRED_TODAY = 55;
/** Logins left PENDING by a handler that went away, and access requests nobody decided. */
const ABANDONED = 200;
/** Issue #18's workspace: 20,000 holders among 25,000 accounts, listed 200 a page at Tier 2 (bench/offboard-reconcile.ts). */
const WORKSPACE_ACCOUNTS = 25_000;
/** Slack's answer to a chat.postMessage, about what the Web API takes from a Lambda in the same continent. */
const POST_MS = 30;

const id = (i: number) => `U2H${String(i).padStart(5, '0')}`;

/** Sessions in memory; CRLs kept as imported, so the daily job's renewal reads back what it wrote. */
class StandInEndpoint implements VpnEndpoint {
  readonly key = 'stand-in:scale';
  readonly kind = 'openvpn' as const;
  sessions = new Map<string, VpnSession>();
  private crl: LiveCrl = {};
  async listSessions(): Promise<VpnSession[]> {
    return [...this.sessions.values()];
  }
  async terminateSessions(ids: string[]): Promise<string[]> {
    return ids.filter((connection) => this.sessions.delete(connection));
  }
  async importCrl(pem: string): Promise<void> {
    this.crl = { pem };
  }
  async exportCrl(): Promise<LiveCrl> {
    return this.crl;
  }
  async clientConfiguration(): Promise<string> {
    return '';
  }
  async health() {
    return { ok: true, detail: 'stand-in' };
  }
}

/** DMs counted, each taking POST_MS as Slack's answer would; the busiest minute is what Slack's limit sees. */
class CountingNotifier implements ExpiryNotifier {
  starts: number[] = [];
  async remind(_reminder: Reminder): Promise<void> {
    this.starts.push(performance.now());
    await sleep(POST_MS);
  }
  async digest(): Promise<void> {}
  async retired(): Promise<void> {}
  async endingSoon(): Promise<void> {}
  busiestMinute(): number {
    let most = 0;
    for (let first = 0, last = 0; last < this.starts.length; last++) {
      while (this.starts[last] - this.starts[first] >= 60_000) first++;
      most = Math.max(most, last - first + 1);
    }
    return most;
  }
}

/**
 * scale-*: the scheduled jobs at issue #18's size, on DynamoDB Local: 20,000 live certificates (one a person,
 * a year each, expiries spread over the year), 20,000 revocations, 10,000 people online, abandoned logins and
 * lapsed access requests. Each line has the time and what DynamoDB was asked (bench/ddb-meter.ts) beside a
 * baseline: the job as it was before this work.
 */
export async function scaleJobsBenchmark(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'vpn-chatops-bench-scale-'));
  const dynamo = await startDynamoDbLocal();
  try {
    const db = connectDatabase({ tableName: `bench-${randomBytes(4).toString('hex')}`, endpoint: dynamo.endpoint });
    await ensureTable(db);
    const meter = meterDatabase(db);
    const stores = storesFor(db);
    const now = Date.now();
    const seeded = performance.now();
    const live: CertificateRecord[] = Array.from({ length: CERTIFICATES }, (_, i) => ({
      serial: randomSerial(),
      cn: `p${i}.laptop-${id(i)}.vpn.example.com`,
      slackId: id(i),
      device: 'laptop',
      status: 'active',
      issuedAt: new Date(now - 200 * DAY_MS),
      notBefore: new Date(now - 200 * DAY_MS),
      // One certificate's expiry every 1.6 hours across the year: about 55 cross each reminder threshold a day.
      notAfter: new Date(now + ((i * 365) / CERTIFICATES + 0.01) * DAY_MS),
      source: 'issued',
      issuedBy: 'bench',
    }));
    const revoked: CertificateRecord[] = Array.from({ length: REVOCATIONS }, (_, i) => ({
      serial: randomSerial(),
      cn: `p${i}.phone-${id(i)}.vpn.example.com`,
      slackId: id(i),
      device: 'phone',
      status: 'revoked',
      issuedAt: new Date(now - 100 * DAY_MS),
      notBefore: new Date(now - 100 * DAY_MS),
      notAfter: new Date(now + 265 * DAY_MS),
      source: 'issued',
      issuedBy: 'bench',
      revokedAt: new Date(now - i * 60_000),
      reason: 'affiliationChanged',
      revokedBy: 'bench',
    }));
    // The day's expiries at that size, all of them still online: what the five-minute expiry sweep ends.
    const expired: CertificateRecord[] = Array.from({ length: EXPIRED_TODAY }, (_, i) => ({
      ...live[i],
      serial: randomSerial(),
      cn: `p${i}.desktop-${id(i)}.vpn.example.com`,
      device: 'desktop',
      // Within the last 12 hours, so seeding's minutes cannot push one past the sweep's day of lookback.
      notAfter: new Date(now - ((i + 1) / EXPIRED_TODAY) * (DAY_MS / 2)),
    }));
    await stores.certificates.importMany([...live, ...revoked, ...expired]);
    await inBatches(
      Array.from({ length: ABANDONED }, (_, i) => i),
      (i) => stores.approvals.create(abandonedLogin(live[i], now - DAY_MS)),
    );
    await inBatches(
      Array.from({ length: ABANDONED }, (_, i) => i),
      (i) =>
        stores.accessRequests.create({
          id: `bench-request-${i}`,
          requester: id(i),
          hours: 8,
          reason: 'bench',
          state: 'pending',
          createdAt: new Date(now - 2 * DAY_MS),
          expiresAt: new Date(now - DAY_MS),
        }),
    );
    // Yesterday's run: every threshold crossed before today already has its claim, as at steady state.
    await inBatches(live, async (record) => {
      const daysLeft = (record.notAfter.getTime() - now) / DAY_MS;
      for (const days of REMINDER_DAYS.filter((threshold) => daysLeft <= threshold - 1))
        await stores.idempotency.claim(`expiry-reminder:${record.serial}:${days}`, 400 * 86_400);
    });
    console.error(
      `(seeded ${CERTIFICATES + REVOCATIONS} certificates and more in ${ms(performance.now() - seeded)} ms)`,
    );

    const ca = loadCa(await createCa({ commonName: 'Bench CA' }));
    const endpoint = new StandInEndpoint();
    const online = (): void => {
      endpoint.sessions = new Map(
        [...live.slice(0, ONLINE - STALE_SESSIONS), ...revoked.slice(0, STALE_SESSIONS)].map((record, i) => [
          `c${i}`,
          { connectionId: `c${i}`, commonName: record.cn },
        ]),
      );
    };
    const clock = { now: () => new Date() };

    // The expiry sweep at that size: the day's 55 expired among everyone online; before (bench/expiry-sweep.ts's
    // naive sweep), one certificate at a time.
    const withExpired = () => {
      online();
      for (const [i, record] of expired.entries())
        endpoint.sessions.set(`x${i}`, { connectionId: `x${i}`, commonName: record.cn });
    };
    withExpired();
    const expirySweep = await metered(meter, () =>
      sweepExpiry({ ...stores, endpoints: [endpoint], clock, certDays: 365 }, 'system:bench').then((report) =>
        report.sessions.reduce((sum, step) => sum + step.terminated, 0),
      ),
    );
    withExpired();
    const expiryOneByOne = await metered(meter, async () => {
      let ended = 0;
      for (const record of await stores.certificates.expiring(new Date(Date.now() - EXPIRY_LOOKBACK_MS), new Date())) {
        const mine = (await endpoint.listSessions()).filter((session) => session.commonName === record.cn);
        ended += (await endpoint.terminateSessions(mine.map((session) => session.connectionId))).length;
        if (mine.length)
          await stores.audit.append({
            actor: 'system:bench-naive',
            action: 'sessions.expire',
            target: endpoint.key,
            outcome: 'success',
            details: { cn: record.cn, serial: record.serial },
          });
      }
      return ended;
    });
    if (expirySweep.result !== EXPIRED_TODAY || expiryOneByOne.result !== EXPIRED_TODAY)
      throw new Error(
        `the expiry sweeps ended ${expirySweep.result} and ${expiryOneByOne.result}, not ${EXPIRED_TODAY}`,
      );
    report('scale-expiry-sweep', {
      sessions: ONLINE + EXPIRED_TODAY,
      ended: expirySweep.result,
      ours_ms: ms(expirySweep.ms),
      ...expirySweep.figures,
      baseline_one_by_one_ms: ms(expiryOneByOne.ms),
      ...prefixed('baseline_', expiryOneByOne.figures),
    });

    // The session sweep: ours lists the active certificates once; before, two consistent reads per CN online.
    online();
    const sweep = await metered(meter, () =>
      sweepSessions(endpoint, { ...stores, clock, actor: 'system:bench' }).then((step) => step.terminated),
    );
    online();
    const perCn = await metered(meter, () => sweepOneCnAtATime(endpoint, stores, clock));
    if (sweep.result !== STALE_SESSIONS || perCn.result !== STALE_SESSIONS)
      throw new Error(`the sweeps ended ${sweep.result} and ${perCn.result} sessions, not ${STALE_SESSIONS}`);
    report('scale-session-sweep', {
      sessions: ONLINE,
      ended: sweep.result,
      ours_ms: ms(sweep.ms),
      ...sweep.figures,
      baseline_per_cn_ms: ms(perCn.ms),
      ...prefixed('baseline_', perCn.figures),
    });

    // The reminders at steady state (today's crossings) and on a first run (every certificate in the window due).
    const window = await stores.certificates.expiring(new Date(), new Date(Date.now() + 30 * DAY_MS));
    const remind = (pace: Partial<typeof REMINDER_PACE>) => {
      const notifier = new CountingNotifier();
      return metered(meter, async () => {
        const result = await sendExpiryReminders({ ...stores, notifier, clock, pace }, window);
        return { sent: result.sent.length, busiest: notifier.busiestMinute(), serials: result.sent };
      });
    };
    const paced = await remind({});
    // Before: no pacing. Claims taken by the paced run are given back, so the unpaced run finds the same DMs due.
    await Promise.all(
      paced.result.serials.map(({ serial, threshold }) =>
        stores.idempotency.release(`expiry-reminder:${serial}:${threshold}`),
      ),
    );
    const unpaced = await remind({ intervalMs: 0, perOwnerMs: 0 });
    const firstRunDms = window.filter((record) => effectiveStatus(record, new Date()) === 'active').length;
    report('scale-reminders', {
      in_window: window.length,
      dms: paced.result.sent,
      ours_ms: ms(paced.ms),
      ours_busiest_minute: paced.result.busiest,
      ...paced.figures,
      baseline_unpaced_ms: ms(unpaced.ms),
      baseline_busiest_minute: unpaced.result.busiest,
      ...prefixed('baseline_', unpaced.figures),
      slack_limit_per_minute: 300,
      first_run_dms: firstRunDms,
      first_run_paced_s_modelled: ((firstRunDms * REMINDER_PACE.intervalMs) / 1000).toFixed(0),
    });

    // The daily job, reminders included (their claims given back again, so today's DMs are due once more).
    await Promise.all(
      unpaced.result.serials.map(({ serial, threshold }) =>
        stores.idempotency.release(`expiry-reminder:${serial}:${threshold}`),
      ),
    );
    online();
    const config = loadConfig({ CERT_DOMAIN: 'vpn.example.com', STATE_DIR: work, CRL_PUBLISH_MODE: 'immediate' });
    const admin = new VpnAdmin({
      config,
      ca,
      ...stores,
      endpoints: [endpoint],
      alerts: { send: async () => undefined },
      expiry: new CountingNotifier(),
      clock,
      coalesceMs: 0,
    });
    const daily = await metered(meter, () => admin.daily('system:bench'));
    if (daily.result.problems.length)
      throw new Error(`the daily job had problems: ${daily.result.problems.join('; ')}`);
    const reconcilePages = Math.ceil(WORKSPACE_ACCOUNTS / RECONCILE_PACE.pageSize);
    const reconcileS = (reconcilePages * RECONCILE_PACE.pageIntervalMs) / 1000;
    report('scale-daily', {
      certificates: CERTIFICATES,
      revocations: REVOCATIONS,
      ours_ms: ms(daily.ms),
      reminders: daily.result.reminders?.sent.length ?? 0,
      sessions_ended: daily.result.sessions.reduce((sum, step) => sum + step.terminated, 0),
      abandoned: daily.result.abandoned,
      expired_requests: daily.result.expiredRequests ?? 0,
      crl: daily.result.renewals.map((renewal) => renewal.action).join(','),
      ...daily.figures,
      fits_60s: daily.ms <= 60_000 ? 'yes' : 'no',
      // Before: the same run, with the per-CN sweep, and the users.list reconcile at its Tier 2 pace after it.
      baseline_with_reconcile_s_modelled: ((daily.ms - sweep.ms + perCn.ms) / 1000 + reconcileS).toFixed(0),
      baseline_reconcile_pages: reconcilePages,
    });
  } finally {
    await dynamo.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** What the session sweep did before: for each CN online, its certificate by CN (two consistent reads), one at a time. */
async function sweepOneCnAtATime(
  endpoint: VpnEndpoint,
  stores: ReturnType<typeof storesFor>,
  clock: { now(): Date },
): Promise<number> {
  const sessions = await endpoint.listSessions();
  const unwanted = new Set<string>();
  for (const cn of new Set(sessions.map((session) => session.commonName))) {
    const record = await stores.certificates.byActiveCn(cn);
    if (!record || effectiveStatus(record, clock.now()) !== 'active') unwanted.add(cn);
  }
  const doomed = sessions.filter((session) => unwanted.has(session.commonName));
  return (
    await endpoint.terminateSessions(
      doomed.map((session) => session.connectionId),
      'system:bench',
    )
  ).length;
}

function abandonedLogin(record: CertificateRecord, at: number): Approval {
  return {
    id: `bench-login-${record.serial}`,
    status: 'PENDING',
    slackId: record.slackId!,
    cn: record.cn,
    serial: record.serial,
    request: {
      connectionId: `cvpn-connection-${record.serial}`,
      endpointId: 'cvpn-endpoint-bench',
      commonName: record.cn,
      publicIp: '203.0.113.7',
      platform: 'bench',
      platformVersion: '1',
      clientVersion: '1',
    },
    requestedAt: new Date(at),
    deadline: new Date(at + 25_000),
  };
}

async function metered<T>(
  meter: DdbMeter,
  work: () => Promise<T>,
): Promise<{ result: T; ms: number; figures: Record<string, string | number> }> {
  meter.reset();
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started, figures: meter.figures() };
}

const prefixed = (prefix: string, values: Record<string, string | number>) =>
  Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}${key}`, value]));

/** Seeding only: 16 writes in flight. */
async function inBatches<T>(items: T[], write: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < items.length) await write(items[next++]);
    }),
  );
}
