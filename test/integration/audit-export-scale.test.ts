import { DynamoDbAuditLog } from '../../src/adapters/dynamodb/audit-log';
import { DynamoDbCertificateStore } from '../../src/adapters/dynamodb/certificate-store';
import type { Database } from '../../src/adapters/dynamodb/client';
import { auditEntries } from '../../src/services/audit-export';
import { testDatabase } from '../helpers/dynamodb';
import { fleetRecords, seedAuditTrail } from '../helpers/fleet';

const DAY_MS = 86_400_000;

/** 2,400 entries over 90 days: dozens of day partitions, and more than a short read's limit. */
describe('the audit export over a long trail (DynamoDB Local)', () => {
  let db: Database & { drop(): Promise<void> };
  let deps: { audit: DynamoDbAuditLog; certificates: DynamoDbCertificateStore };
  const now = Date.now();
  const window = { since: new Date(now - 100 * DAY_MS), until: new Date(now) };

  beforeAll(async () => {
    db = await testDatabase();
    deps = { audit: new DynamoDbAuditLog(db), certificates: new DynamoDbCertificateStore(db) };
    const fleet = fleetRecords(
      { live: 1_600, revoked: 800, heavyOwner: 'U0HEAVY', heavyDevices: 50, devicesEach: 30 },
      now,
    );
    await seedAuditTrail(deps.audit, fleet, now);
  });

  afterAll(async () => {
    await db.drop();
  });

  const inOrder = (times: number[]) => times.every((time, i) => i === 0 || times[i - 1] <= time);

  it('exports every entry once, oldest first', async () => {
    const { entries, truncated } = await auditEntries(deps, window);
    expect(truncated).toBe(false);
    expect(entries).toHaveLength(2_400);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(2_400);
    expect(inOrder(entries.map((entry) => entry.at.getTime()))).toBe(true);
  });

  it('keeps the newest entries when the trail is over the limit, and says so', async () => {
    const all = (await auditEntries(deps, window)).entries;
    const { entries, truncated } = await auditEntries(deps, window, 1_500);
    expect(truncated).toBe(true);
    expect(entries.map((entry) => entry.id)).toEqual(all.slice(-1_500).map((entry) => entry.id));
  });

  it("the Home's latest ten are the trail's newest ten", async () => {
    const all = (await auditEntries(deps, window)).entries;
    const latest = await deps.audit.query({ since: window.since, until: window.until, limit: 10 });
    expect(latest.map((entry) => entry.id)).toEqual(all.slice(-10).map((entry) => entry.id));
  });
});
