import { DynamoDbCertificateStore } from '../../src/adapters/dynamodb/certificate-store';
import { COUNTS_MAX_AGE_MS } from '../../src/adapters/dynamodb/certificate-pages';
import type { Database } from '../../src/adapters/dynamodb/client';
import { CertificateRecord, CertificateStatus, effectiveStatus } from '../../src/domain/certificate';
import { certificatePage } from '../../src/slack/jobs/certificate-page';
import { testDatabase } from '../helpers/dynamodb';
import { FleetShape, fleetRecords } from '../helpers/fleet';

/** 495 active (10 of them past notAfter), 5 suspended, 300 revoked: partitions that some page sizes divide exactly. */
const SHAPE: FleetShape = { live: 500, revoked: 300, heavyOwner: 'U0HEAVY', heavyDevices: 50, devicesEach: 30 };

describe('paging every certificate (DynamoDB Local)', () => {
  let db: Database & { drop(): Promise<void> };
  let store: DynamoDbCertificateStore;
  let fleet: CertificateRecord[];
  const now = Date.now();

  beforeAll(async () => {
    db = await testDatabase();
    store = new DynamoDbCertificateStore(db);
    fleet = fleetRecords(SHAPE, now);
    expect(await store.importMany(fleet)).toBe(fleet.length);
  });

  afterAll(async () => {
    await db.drop();
  });

  /** Every page from the first until one says there is no next; bounded so a cursor loop fails instead of hanging. */
  async function walk(limit: number): Promise<CertificateRecord[][]> {
    const pages: CertificateRecord[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.page({ limit, cursor, now: new Date(now) });
      pages.push(page.records);
      cursor = page.next;
    } while (cursor !== undefined && pages.length <= fleet.length);
    return pages;
  }

  it.each([1, 5, 7, 20, 40, 100, 1000])(
    'pages of %i cover every certificate exactly once, full pages until the last: live, then revoked, then expired',
    async (limit) => {
      const pages = await walk(limit);
      const serials = pages.flat().map((record) => record.serial);
      expect(new Set(serials).size).toBe(serials.length);
      expect([...serials].sort()).toEqual(fleet.map((record) => record.serial).sort());
      expect(pages).toHaveLength(Math.ceil(fleet.length / limit));
      expect(pages.slice(0, -1).every((page) => page.length === limit)).toBe(true);
      const rank: CertificateStatus[] = ['active', 'suspended', 'revoked', 'expired'];
      const order = pages.flat().map((record) => rank.indexOf(effectiveStatus(record, new Date(now))));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    },
  );

  it('sorts within a status by notAfter, soonest first', async () => {
    const active = (await walk(40)).flat().filter((record) => effectiveStatus(record, new Date(now)) === 'active');
    const times = active.map((record) => record.notAfter.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('puts certificates past their notAfter after every live and revoked one, not first as the soonest to expire', async () => {
    const first = await store.page({ limit: 40, now: new Date(now) });
    expect(first.records.map((record) => effectiveStatus(record, new Date(now)))).toEqual(Array(40).fill('active'));
    const last = (await walk(40)).flat().slice(-10);
    expect(last.map((record) => effectiveStatus(record, new Date(now)))).toEqual(Array(10).fill('expired'));
  });

  it('counts by effective status what the pages hold, without reading a certificate', async () => {
    const expected: Record<CertificateStatus, number> = { active: 0, suspended: 0, expired: 0, revoked: 0 };
    for (const record of fleet) expected[effectiveStatus(record, new Date(now))]++;
    expect(expected.expired).toBeGreaterThan(0);
    expect(await store.counts(new Date(now))).toEqual(expected);
  });

  it('a page started before a revocation still reaches every certificate that was there', async () => {
    const first = await store.page({ limit: 100, now: new Date(now) });
    const revoked = fleet.find((record) => record.status === 'active' && record.serial === first.records[99].serial);
    expect(revoked).toBeDefined();
    // The certificate the cursor points at moves to the revoked partition: the cursor is a position, not an item.
    await store.markRevoked(revoked!.serial, { revokedAt: new Date(), reason: 'superseded', actor: 'U0ADMIN' });
    const seen = new Set(first.records.map((record) => record.serial));
    let cursor = first.next;
    for (let pages = 0; cursor !== undefined && pages < 100; pages++) {
      const page = await store.page({ limit: 100, cursor, now: new Date(now) });
      page.records.forEach((record) => seen.add(record.serial));
      cursor = page.next;
    }
    expect(fleet.filter((record) => !seen.has(record.serial)).map((record) => record.serial)).toEqual([]);
  });

  it('shares one count for a few minutes, then counts again', async () => {
    // Later than every count before it, so this one counts afresh.
    const start = now + 3 * COUNTS_MAX_AGE_MS;
    const counted = await store.counts(new Date(start));
    const fresh = fleetRecords({ ...SHAPE, live: 1, revoked: 0 }, now).map((record) => ({
      ...record,
      serial: 'F0F0F0F0',
      cn: 'new-U0NEW.vpn.example.com',
      slackId: 'U0NEW',
    }));
    await store.create(fresh[0]);
    expect(await store.counts(new Date(start + COUNTS_MAX_AGE_MS - 1))).toEqual(counted);
    expect(await store.counts(new Date(start + COUNTS_MAX_AGE_MS))).toEqual({ ...counted, active: counted.active + 1 });
    // A clock that went back does not trust a count from its future.
    await store.markRevoked('F0F0F0F0', { revokedAt: new Date(), reason: 'superseded', actor: 'U0ADMIN' });
    expect(await store.counts(new Date(start))).toEqual({ ...counted, revoked: counted.revoked + 1 });
  });

  it('refuses a cursor it did not write, and the views fall back to the first page', async () => {
    const forged = [
      'not base64 json',
      Buffer.from(JSON.stringify({ pk: 'AUDIT#2026-01-01', sk: 'x', gsi2pk: 'STATUS#active', gsi2sk: 'x' })).toString(
        'base64url',
      ),
      Buffer.from(JSON.stringify({ pk: 'CERT#0A', sk: 'CERT', gsi2pk: 'TARGET#U0X', gsi2sk: 'x' })).toString(
        'base64url',
      ),
      Buffer.from(
        JSON.stringify({ pk: 'CERT#0A', sk: 'CERT', gsi2pk: 'STATUS#active', gsi2sk: 'x', extra: 'y' }),
      ).toString('base64url'),
      // Well-formed keys that DynamoDB itself would refuse, or that name another stretch than the one given.
      Buffer.from(
        JSON.stringify({ segment: 0, pk: 'CERT#0A', sk: 'CERT', gsi2pk: 'STATUS#active', gsi2sk: '' }),
      ).toString('base64url'),
      Buffer.from(
        JSON.stringify({
          segment: 2,
          pk: 'CERT#0A',
          sk: 'CERT',
          gsi2pk: 'STATUS#active',
          gsi2sk: '2026-01-01T00:00:00.000Z#0A',
        }),
      ).toString('base64url'),
    ];
    for (const cursor of forged)
      await expect(store.page({ limit: 5, cursor, now: new Date(now) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const fallback = await certificatePage(store, 5, { page: 7, cursor: forged[1] }, new Date(now));
    expect(fallback.page).toBe(0);
    expect(fallback.records.map((record) => record.serial)).toEqual(
      (await store.page({ limit: 5, now: new Date(now) })).records.map((record) => record.serial),
    );
  });
});
