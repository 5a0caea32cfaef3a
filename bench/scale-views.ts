import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { storesFor } from '../src/adapters/dynamodb/stores';
import { loadConfig } from '../src/config';
import { byCn } from '../src/slack/views/certificate';
import { DAY_MS } from '../src/domain/time';
import { auditCsv, auditEntries } from '../src/services/audit-export';
import { VpnAdmin } from '../src/services/vpn-admin';
import { ACTION } from '../src/slack/ids';
import { certificatePage } from '../src/slack/jobs/certificate-page';
import { loadHomeData } from '../src/slack/jobs/home-data';
import { LIST_PAGE_SIZE, certificatePageMessage, statusMessage } from '../src/slack/views/certificate-list';
import { homeView } from '../src/slack/views/home';
import { assertWithinSlackLimits } from '../src/slack/views/limits';
import { testCa } from '../test/helpers/ca';
import { COMPANY, fleetRecords, seedAuditTrail } from '../test/helpers/fleet';
import { DdbMeter, meterDatabase } from './ddb-meter';
import { measure, ms, report } from './lib';

const RUNS = 5;

/** p50 over `runs`, and what one run asked of DynamoDB (counted on a run of its own, after the timed ones). */
async function timed(
  meter: DdbMeter,
  work: () => Promise<unknown>,
  prefix = '',
  runs = RUNS,
): Promise<Record<string, string | number>> {
  const stats = await measure(work, runs, runs > 1 ? 1 : 0);
  meter.reset();
  await work();
  const figures = Object.fromEntries(Object.entries(meter.figures()).map(([key, value]) => [`${prefix}${key}`, value]));
  return { [`${prefix}ms`]: ms(stats.p50), ...figures };
}

/**
 * scale-*: the admin views over a company's table on DynamoDB Local (20,000 certificates, 20,000 revocations, an
 * audit entry for each), each beside the whole-table read the view did before it paged.
 */
export async function scaleViewsBenchmark(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  try {
    const db = connectDatabase({ tableName: `bench-${randomBytes(4).toString('hex')}`, endpoint: dynamo.endpoint });
    await ensureTable(db);
    const stores = storesFor(db);
    const now = Date.now();
    const fleet = fleetRecords(COMPANY, now);
    const seeding = performance.now();
    await stores.certificates.importMany(fleet);
    await seedAuditTrail(stores.audit, fleet, now);
    console.error(
      `(seeded ${fleet.length} certificates and as many audit entries in ${Math.round(performance.now() - seeding)} ms)`,
    );
    const meter = meterDatabase(db);
    const admin = new VpnAdmin({
      config: loadConfig({ CERT_DOMAIN: 'vpn.example.com' }),
      ca: await testCa(),
      ...stores,
      endpoints: [],
      alerts: { send: async () => undefined },
      // One instant for the whole run, so the shared count stays fresh however long the baselines take.
      clock: { now: () => new Date(now) },
    });
    const clock = new Date(now);

    // What the Home and `/vpn list` did before they paged (the list then packed them into one message): every
    // certificate read, sorted by CN.
    const wholeTable = async () => [...(await stores.certificates.list())].sort(byCn);
    const baseline = await timed(meter, wholeTable, 'baseline_', 1);

    // The first view after COUNTS_MAX_AGE_MS counts again; the others read the stored count.
    meter.reset();
    const counting = performance.now();
    await stores.certificates.counts(clock);
    const recount = {
      recount_ms: ms(performance.now() - counting),
      ...Object.fromEntries(Object.entries(meter.figures()).map(([key, value]) => [`recount_${key}`, value])),
    };

    let blocks = 0;
    const home = await timed(meter, async () => {
      const data = await loadHomeData({ admin, ...stores, endpoints: [] }, 'U0ADMIN', true);
      const view = homeView(data);
      assertWithinSlackLimits('home', view);
      blocks = view.blocks.length;
    });
    report('scale-home-admin', { ...home, blocks, ...recount, ...baseline });

    let listBlocks = 0;
    const list = await timed(meter, async () => {
      const rows = await certificatePage(stores.certificates, LIST_PAGE_SIZE, { page: 0 }, clock);
      const page = certificatePageMessage(rows, clock, ACTION.listPage);
      assertWithinSlackLimits('message', page);
      listBlocks = page.blocks.length;
    });
    // The next page is one Query from the cursor, whatever page it is.
    const first = await stores.certificates.page({ limit: LIST_PAGE_SIZE, now: new Date() });
    const next = await timed(
      meter,
      () => stores.certificates.page({ limit: LIST_PAGE_SIZE, cursor: first.next, now: new Date() }),
      'next_page_',
    );
    report('scale-list', { ...list, blocks: listBlocks, ...next, ...baseline });

    let statusBlocks = 0;
    const status = await timed(meter, async () => {
      const message = statusMessage(await stores.certificates.byUser(COMPANY.heavyOwner), clock);
      assertWithinSlackLimits('message', message);
      statusBlocks = message.blocks.length;
    });
    // Status already read the person's index partition: the naive whole-table filter is the baseline.
    report('scale-status-50', { ...status, blocks: statusBlocks, ...baseline });

    let entries = 0;
    let bytes = 0;
    let heapMb = 0;
    const exported = await timed(
      meter,
      async () => {
        const before = process.memoryUsage().heapUsed;
        const found = await auditEntries(stores, { since: new Date(now - 100 * DAY_MS), until: clock });
        const csv = auditCsv(found.entries);
        heapMb = Math.max(heapMb, (process.memoryUsage().heapUsed - before) / 1e6);
        entries = found.entries.length;
        bytes = csv.length;
      },
      '',
      3,
    );
    // Unchanged by the paging work, and bounded by EXPORT_MAX_ENTRIES: the figures are today's code.
    report('scale-audit-export', {
      ...exported,
      entries,
      csv_kb: Math.round(bytes / 1024),
      heap_mb: heapMb.toFixed(0),
    });
    db.doc.destroy();
  } finally {
    await dynamo.stop();
  }
}
