import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../src/domain/audit';
import { DynamoDbAuditLog } from '../../src/adapters/dynamodb/audit-log';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const START = Date.UTC(2026, 5, 1, 23, 0);
const STEP_MS = 20_000;
const ENTRIES = 400;
const ids = (entries: AuditEntry[]) => entries.map((entry) => entry.id);

/** A reconnect storm's trail: 400 entries 20 s apart from 23:00, so over two days, three of four by `system:connect`. */
async function storm(log: DynamoDbAuditLog): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (let batch = 0; batch < ENTRIES; batch += 50)
    entries.push(
      ...(await Promise.all(
        Array.from({ length: 50 }, (_, n) => {
          const i = batch + n;
          return log.append({
            actor: i % 4 === 0 ? 'U0ADMIN' : 'system:connect',
            action: 'approval.decide',
            target: `alice-${i % 3}.vpn.test`,
            outcome: 'success',
            at: new Date(START + i * STEP_MS),
          });
        }),
      )),
    );
  return entries;
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the audit trail in write shards (DynamoDB Local)',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let log: DynamoDbAuditLog;
    let written: AuditEntry[];
    const range = { since: new Date(START - 60_000), until: new Date(START + ENTRIES * STEP_MS) };
    beforeAll(async () => {
      db = await testDatabase();
      log = new DynamoDbAuditLog(db);
      written = await storm(log);
    });
    afterAll(() => db.drop());

    async function auditItems(): Promise<Record<string, unknown>[]> {
      const items: Record<string, unknown>[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await db.doc.send(
          new ScanCommand({
            TableName: db.tableName,
            FilterExpression: '#type = :audit',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: { ':audit': 'audit' },
            ExclusiveStartKey,
          }),
        );
        items.push(...(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
    }

    const countBy = (items: Record<string, unknown>[], attribute: string) => {
      const counts = new Map<string, number>();
      for (const item of items) counts.set(String(item[attribute]), (counts.get(String(item[attribute])) ?? 0) + 1);
      return counts;
    };

    it("spreads a storm's entries over 16 partitions a day, and the system actor's over 16 index partitions", async () => {
      const items = (await auditItems()).filter((item) => written.some((entry) => entry.id === item.id));
      expect(items).toHaveLength(ENTRIES);
      const days = countBy(items, 'pk');
      expect(days.size).toBe(32);
      expect(Math.max(...days.values())).toBeLessThan(ENTRIES / 4);
      const connect = countBy(
        items.filter((item) => item.actor === 'system:connect'),
        'gsi1pk',
      );
      expect(connect.size).toBe(16);
      expect(Math.max(...connect.values())).toBeLessThan(ENTRIES / 4);
      // A person is not a storm: their entries stay in one index partition, one query to read.
      expect([
        ...countBy(
          items.filter((item) => item.actor === 'U0ADMIN'),
          'gsi1pk',
        ).keys(),
      ]).toEqual(['ACTOR#U0ADMIN']);
    });

    it('reads every entry back once, in order, by day, actor, target and with a limit', async () => {
      const by = (keep: (entry: AuditEntry) => boolean) => ids(written.filter(keep));
      expect(ids(await log.query(range))).toEqual(ids(written));
      expect(ids(await log.query({ ...range, actor: 'system:connect' }))).toEqual(
        by((entry) => entry.actor === 'system:connect'),
      );
      expect(ids(await log.query({ ...range, actor: 'U0ADMIN' }))).toEqual(by((entry) => entry.actor === 'U0ADMIN'));
      expect(ids(await log.query({ ...range, target: 'alice-1.vpn.test' }))).toEqual(
        by((entry) => entry.target === 'alice-1.vpn.test'),
      );
      expect(ids(await log.query({ ...range, target: 'alice-1.vpn.test', actor: 'system:connect' }))).toEqual(
        by((entry) => entry.target === 'alice-1.vpn.test' && entry.actor === 'system:connect'),
      );
      expect(ids(await log.query({ ...range, limit: 10 }))).toEqual(ids(written.slice(-10)));
      expect(ids(await log.query({ ...range, limit: 250 }))).toEqual(ids(written.slice(-250)));
      expect(ids(await log.query({ ...range, actor: 'system:connect', limit: 7 }))).toEqual(
        by((entry) => entry.actor === 'system:connect').slice(-7),
      );
      // Within the first day only: the merge honours `until` in every shard.
      const firstDay = { since: range.since, until: new Date(Date.UTC(2026, 5, 1, 23, 59, 59, 999)) };
      expect(ids(await log.query({ ...firstDay, limit: 5 }))).toEqual(
        ids(written.filter((entry) => entry.at <= firstDay.until).slice(-5)),
      );
    });

    it('reads a limited query from every partition up to the limit only: the latest ten of a storm day read at most 170 items', async () => {
      const send = db.doc.send.bind(db.doc);
      let requests = 0;
      let read = 0;
      const spy = jest.spyOn(db.doc, 'send').mockImplementation((async (command: unknown) => {
        const answer = (await send(command as never)) as { ScannedCount?: number };
        if (command instanceof QueryCommand) {
          requests += 1;
          read += answer.ScannedCount ?? 0;
        }
        return answer;
      }) as typeof db.doc.send);
      try {
        expect(ids(await log.query({ ...range, limit: 10 }))).toEqual(ids(written.slice(-10)));
        // Today's 16 shards and its unsharded partition, each newest first up to ten.
        expect([requests, read <= 17 * 10]).toEqual([17, true]);
        requests = 0;
        read = 0;
        expect(ids(await log.query({ ...range, actor: 'system:connect', limit: 10 }))).toEqual(
          ids(written.filter((entry) => entry.actor === 'system:connect').slice(-10)),
        );
        expect([requests, read <= 17 * 10]).toEqual([17, true]);
      } finally {
        spy.mockRestore();
      }
    });

    it('still reads entries written before the shards, in the unsharded day and actor partitions', async () => {
      const legacy: AuditEntry[] = [30, 250, 399].map((i) => ({
        id: `legacy-${i}`,
        at: new Date(START + i * STEP_MS + 1),
        actor: 'system:connect',
        action: 'approval.decide',
        target: 'alice-1.vpn.test',
        outcome: 'success',
      }));
      for (const entry of legacy) {
        const at = entry.at.toISOString();
        const sort = `${at}#${entry.id}`;
        await db.doc.send(
          new PutCommand({
            TableName: db.tableName,
            Item: {
              pk: `AUDIT#${at.slice(0, 10)}`,
              sk: sort,
              type: 'audit',
              ...entry,
              at,
              gsi1pk: `ACTOR#${entry.actor}`,
              gsi1sk: sort,
              gsi2pk: `TARGET#${entry.target}`,
              gsi2sk: sort,
            },
          }),
        );
      }
      const all = [...written, ...legacy].sort((a, b) => a.at.getTime() - b.at.getTime());
      const by = (keep: (entry: AuditEntry) => boolean) => ids(all.filter(keep));
      expect(ids(await log.query(range))).toEqual(ids(all));
      expect(ids(await log.query({ ...range, actor: 'system:connect' }))).toEqual(
        by((entry) => entry.actor === 'system:connect'),
      );
      expect(ids(await log.query({ ...range, target: 'alice-1.vpn.test' }))).toEqual(
        by((entry) => entry.target === 'alice-1.vpn.test'),
      );
      expect(ids(await log.query({ ...range, limit: 3 }))).toEqual(ids(all.slice(-3)));
      expect(ids(await log.query({ ...range, actor: 'system:connect', limit: 3 }))).toEqual(
        by((entry) => entry.actor === 'system:connect').slice(-3),
      );
    });
  },
);
