import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { storesFor } from '../src/adapters/dynamodb/stores';
import type { CertificateRecord } from '../src/domain/certificate';
import { HOUR_MS, sleep } from '../src/domain/time';
import { randomSerial } from '../src/pki/serial';
import type { LiveCrl, VpnEndpoint, VpnSession } from '../src/ports';
import { EXPIRY_LOOKBACK_MS, sweepExpiry } from '../src/services/expiry-sweep';
import { ms, report } from './lib';

const EXPIRED = 1_000;
/** As many live sessions again whose certificates are still good: the sweep must leave them alone. */
const LIVE = 1_000;
const RUNS = 3;
/** The stand-in's cost per call, about a management-interface or EC2 API round trip on a quiet network. */
const LIST_MS = 2;
const TERMINATE_MS = 1;

/** A VpnEndpoint that keeps sessions in memory and counts (and paces) the calls made to it. */
class StandInEndpoint implements VpnEndpoint {
  readonly key = 'stand-in:bench';
  readonly kind = 'openvpn' as const;
  sessions = new Map<string, VpnSession>();
  listCalls = 0;
  terminateCalls = 0;

  async listSessions(): Promise<VpnSession[]> {
    this.listCalls++;
    await sleep(LIST_MS);
    return [...this.sessions.values()];
  }
  async terminateSessions(ids: string[]): Promise<string[]> {
    this.terminateCalls++;
    await sleep(TERMINATE_MS);
    return ids.filter((id) => this.sessions.delete(id));
  }
  async importCrl(): Promise<void> {}
  async exportCrl(): Promise<LiveCrl> {
    return {};
  }
  async clientConfiguration(): Promise<string> {
    return '';
  }
  async health() {
    return { ok: true, detail: 'stand-in' };
  }
}

/**
 * expiry-sweep: find and end 1,000 expired certificates' sessions among 2,000 live ones, as the five-minute
 * sweep does (list once per endpoint, match by CN, end in batches), beside a naive sweep that takes one
 * certificate at a time (list the sessions, end its session, audit it). DynamoDB Local holds the certificates.
 */
export async function expirySweepBenchmark(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  try {
    const db = connectDatabase({ tableName: `bench-${randomBytes(4).toString('hex')}`, endpoint: dynamo.endpoint });
    await ensureTable(db);
    let requests = 0;
    db.doc.middlewareStack.add(
      (next) => async (args) => {
        requests++;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'benchRequestCount' },
    );
    const stores = storesFor(db);
    const now = Date.now();
    const record = (i: number, expired: boolean): CertificateRecord => ({
      serial: randomSerial(),
      cn: `${expired ? 'contractor' : 'staff'}${i}--bench-U0BENCH${i}.vpn.example.com`,
      slackId: `U0BENCH${i}`,
      status: 'active',
      issuedAt: new Date(now - 9 * HOUR_MS),
      notBefore: new Date(now - 9 * HOUR_MS),
      notAfter: new Date(expired ? now - (i % 60) * 30_000 - 1000 : now + 300 * 24 * HOUR_MS),
      source: 'issued',
      issuedBy: 'bench',
    });
    const expired = Array.from({ length: EXPIRED }, (_, i) => record(i, true));
    const live = Array.from({ length: LIVE }, (_, i) => record(i, false));
    await stores.certificates.importMany([...expired, ...live]);
    const endpoint = new StandInEndpoint();
    const connectEveryone = () => {
      endpoint.sessions = new Map(
        [...expired, ...live].map((certificate, i) => [`c${i}`, { connectionId: `c${i}`, commonName: certificate.cn }]),
      );
      endpoint.listCalls = 0;
      endpoint.terminateCalls = 0;
      requests = 0;
    };
    const clock = { now: () => new Date() };

    const ours = async () => {
      await sweepExpiry({ ...stores, endpoints: [endpoint], clock, certDays: 365 }, 'system:bench');
    };
    /** One certificate at a time: what a script over "expired certificates" would do. */
    const naive = async () => {
      const from = new Date(clock.now().getTime() - EXPIRY_LOOKBACK_MS);
      for (const certificate of await stores.certificates.expiring(from, clock.now())) {
        const mine = (await endpoint.listSessions()).filter((session) => session.commonName === certificate.cn);
        for (const session of mine) {
          await endpoint.terminateSessions([session.connectionId]);
          await stores.audit.append({
            actor: 'system:bench-naive',
            action: 'sessions.expire',
            target: endpoint.key,
            outcome: 'success',
            details: { cn: certificate.cn, serial: certificate.serial },
          });
        }
      }
    };
    const run = async (sweep: () => Promise<void>) => {
      const times: number[] = [];
      let counts = { requests: 0, list: 0, terminate: 0, ended: 0 };
      for (let i = 0; i < RUNS; i++) {
        connectEveryone();
        const start = performance.now();
        await sweep();
        times.push(performance.now() - start);
        const left = [...endpoint.sessions.values()];
        if (left.length !== LIVE || left.some((session) => session.commonName.startsWith('contractor')))
          throw new Error(`the sweep left ${left.length} sessions, expected the ${LIVE} live ones`);
        counts = {
          requests,
          list: endpoint.listCalls,
          terminate: endpoint.terminateCalls,
          ended: EXPIRED + LIVE - left.length,
        };
      }
      times.sort((a, b) => a - b);
      return { p50: times[Math.floor(times.length / 2)], ...counts };
    };
    const sweep = await run(ours);
    const baseline = await run(naive);
    report('expiry-sweep', {
      ours_ms: ms(sweep.p50),
      naive_ms: ms(baseline.p50),
      ratio: (baseline.p50 / sweep.p50).toFixed(1),
      ended: sweep.ended,
      sessions: EXPIRED + LIVE,
      dynamodb_requests: sweep.requests,
      naive_dynamodb_requests: baseline.requests,
      endpoint_calls: sweep.list + sweep.terminate,
      naive_endpoint_calls: baseline.list + baseline.terminate,
      endpoint: `in-memory-stand-in(list=${LIST_MS}ms,terminate=${TERMINATE_MS}ms)`,
      runs: RUNS,
    });
  } finally {
    await dynamo.stop();
  }
}
