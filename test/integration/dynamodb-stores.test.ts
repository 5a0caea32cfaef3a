import { DynamoDbAuditLog } from '../../src/adapters/dynamodb/audit-log';
import { auditEntries } from '../../src/services/audit-export';
import { DynamoDbCertificateStore } from '../../src/adapters/dynamodb/certificate-store';
import { connectDatabase } from '../../src/adapters/dynamodb/client';
import { DynamoDbCrlStateStore } from '../../src/adapters/dynamodb/crl-state-store';
import { DynamoDbIdempotencyStore } from '../../src/adapters/dynamodb/idempotency-store';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';
import { rejectionOf } from '../helpers/errors';
import { serviceWorld } from '../helpers/world';
import { certificateRecord as record } from '../helpers/records';

const DAY = 86_400_000;

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'DynamoDB stores on DynamoDB Local',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let certificates: DynamoDbCertificateStore;
    let crl: DynamoDbCrlStateStore;
    let audit: DynamoDbAuditLog;
    beforeAll(async () => {
      db = await testDatabase();
      certificates = new DynamoDbCertificateStore(db);
      crl = new DynamoDbCrlStateStore(db);
      audit = new DynamoDbAuditLog(db);
    });
    afterAll(() => db.drop());

    describe('certificates', () => {
      it('stores metadata and finds it by serial, user, CN and status; never a private key', async () => {
        const jane = record({ cn: 'jane.a-U0FIND.vpn.test', slackId: 'U0FIND' });
        await certificates.create(jane);
        expect(await certificates.get(jane.serial)).toEqual({
          ...jane,
          displayName: undefined,
          certPem: undefined,
          revokedAt: undefined,
          reason: undefined,
          revokedBy: undefined,
        });
        expect((await certificates.byUser('U0FIND')).map((c) => c.serial)).toEqual([jane.serial]);
        expect((await certificates.byActiveCn(jane.cn))?.serial).toBe(jane.serial);
        expect((await certificates.list({ status: 'active' })).map((c) => c.serial)).toContain(jane.serial);
        const raw = JSON.stringify(
          await db.doc.send(new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: db.tableName })),
        );
        expect(raw).not.toMatch(/PRIVATE KEY/);
      });

      it('allows one active certificate per CN, and frees the CN of a certificate issued before tags on revocation', async () => {
        const first = record({ cn: 'one-U0ONE.vpn.test', slackId: 'U0ONE' });
        await certificates.create(first);
        const second = record({ cn: first.cn, slackId: 'U0ONE' });
        expect((await certificates.create(second).catch((e: unknown) => e)) as Error).toMatchObject({
          code: 'CONFLICT',
        });
        expect(await certificates.get(second.serial)).toBeUndefined();

        const revoked = await certificates.markRevoked(first.serial, {
          revokedAt: new Date(),
          reason: 'superseded',
          actor: 'U0ADMIN',
        });
        expect(revoked).toMatchObject({ status: 'revoked', reason: 'superseded', revokedBy: 'U0ADMIN' });
        expect(await certificates.byActiveCn(first.cn)).toBeUndefined();
        // Only an Easy-RSA import brings an untagged CN again (Easy-RSA reuses CNs); the live one gets it.
        await certificates.create(second);
        expect((await certificates.byActiveCn(first.cn))?.serial).toBe(second.serial);
      });

      it('never lets a second certificate bear a tagged CN while the first is unexpired, revoked or not; the device is free again after a revocation', async () => {
        const first = record({ cn: 'two.laptop--abcde-U0TWO.vpn.test', slackId: 'U0TWO' });
        await certificates.create(first);
        const sameDevice = record({ cn: 'two.laptop--fghij-U0TWO.vpn.test', slackId: 'U0TWO' });
        expect(await rejectionOf(certificates.create(sameDevice))).toMatchObject({ code: 'CONFLICT' });

        await certificates.markRevoked(first.serial, {
          revokedAt: new Date(),
          reason: 'keyCompromise',
          actor: 'U0ADMIN',
        });
        const sameCn = record({ cn: first.cn, slackId: 'U0TWO' });
        expect(await rejectionOf(certificates.create(sameCn))).toMatchObject({ code: 'CONFLICT' });
        expect(await certificates.get(sameCn.serial)).toBeUndefined();
        expect(await certificates.byActiveCn(first.cn)).toBeUndefined();

        await certificates.create(sameDevice);
        expect((await certificates.byActiveCn(sameDevice.cn))?.serial).toBe(sameDevice.serial);
        expect(await certificates.byActiveCn(first.cn)).toBeUndefined();
      });

      it("lets an expired certificate's CN be reused", async () => {
        const old = record({ cn: 'old-U0OLD.vpn.test', slackId: 'U0OLD', notAfter: new Date(Date.now() - DAY) });
        await certificates.create(old);
        await certificates.create(record({ cn: old.cn, slackId: 'U0OLD' }));
        expect((await certificates.list({ status: 'expired' })).map((c) => c.serial)).toContain(old.serial);
      });

      it('revokes exactly once when two admins race', async () => {
        const target = record({ cn: 'race-U0RACE.vpn.test', slackId: 'U0RACE' });
        await certificates.create(target);
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            certificates.markRevoked(target.serial, {
              revokedAt: new Date(),
              reason: 'keyCompromise',
              actor: `U0ADM${i}`,
            }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await certificates.get(target.serial))?.status).toBe('revoked');
      });

      it('suspends and re-enables a certificate, keeping its CN claim', async () => {
        const paused = record({ cn: 'paused-U0PAUSE.vpn.test', slackId: 'U0PAUSE' });
        await certificates.create(paused);
        expect(await certificates.setSuspended(paused.serial, true)).toBe(true);
        expect(await certificates.setSuspended(paused.serial, true)).toBe(false);
        expect(await certificates.byActiveCn(paused.cn)).toMatchObject({ serial: paused.serial, status: 'suspended' });
        expect((await certificates.list({ status: 'suspended' })).map((c) => c.serial)).toContain(paused.serial);
        expect(await certificates.setSuspended(paused.serial, false)).toBe(true);
        expect((await certificates.get(paused.serial))?.status).toBe('active');
      });

      it('keeps a renewal link written while a revocation or a suspension is under way', async () => {
        const old = record({ cn: 'linked-U0LINK.vpn.test', slackId: 'U0LINK' });
        const paused = record({ cn: 'linked2-U0LINK.vpn.test', slackId: 'U0LINK' });
        await certificates.create(old);
        await certificates.create(paused);
        const read = certificates.get.bind(certificates);
        // The renewal lands between the store's read and its write.
        const spy = jest.spyOn(certificates, 'get').mockImplementation(async (serial) => {
          const before = await read(serial);
          expect(await certificates.markReplaced(serial, `NEW${serial}`, new Date())).toBe(true);
          return before;
        });
        try {
          await certificates.markRevoked(old.serial, { revokedAt: new Date(), reason: 'superseded', actor: 'U0ADMIN' });
        } finally {
          spy.mockRestore();
        }
        expect(await certificates.get(old.serial)).toMatchObject({
          status: 'revoked',
          reason: 'superseded',
          replacedBy: `NEW${old.serial}`,
        });
        expect((await certificates.revocationsForCrl(new Date(0))).map((r) => r.serial)).toContain(old.serial);

        // Likewise for a suspension, should it ever read the record before writing.
        let linked = false;
        const during = jest.spyOn(certificates, 'get').mockImplementation(async (serial) => {
          const before = await read(serial);
          linked = await certificates.markReplaced(serial, `NEW${serial}`, new Date());
          return before;
        });
        try {
          expect(await certificates.setSuspended(paused.serial, true)).toBe(true);
        } finally {
          during.mockRestore();
        }
        if (!linked)
          expect(await certificates.markReplaced(paused.serial, `NEW${paused.serial}`, new Date())).toBe(true);
        expect(await certificates.get(paused.serial)).toMatchObject({
          status: 'suspended',
          replacedBy: `NEW${paused.serial}`,
        });
        expect(await certificates.setSuspended('0DEADBEEF0', true)).toBe(false);
        expect(await certificates.get('0DEADBEEF0')).toBeUndefined();
      });

      it('says so for an unknown serial', async () => {
        await expect(
          certificates.markRevoked('0ABCDEF0', { revokedAt: new Date(), reason: 'unspecified', actor: 'x' }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });

      it('lists revocations for the CRL, leaving out certificates that expired before the cut-off', async () => {
        const live = record({ cn: 'crl1-U0CRL.vpn.test', slackId: 'U0CRL' });
        const expired = record({
          cn: 'crl2-U0CRL.vpn.test',
          slackId: 'U0CRL',
          notAfter: new Date(Date.now() - 10 * DAY),
        });
        for (const r of [live, expired]) {
          await certificates.create(r);
          await certificates.markRevoked(r.serial, {
            revokedAt: new Date(),
            reason: 'cessationOfOperation',
            actor: 'U0ADMIN',
          });
        }
        const serials = (await certificates.revocationsForCrl(new Date(Date.now() - DAY))).map((r) => r.serial);
        expect(serials).toContain(live.serial);
        expect(serials).not.toContain(expired.serial);
        expect((await certificates.revocationsForCrl(new Date(Date.now() - 20 * DAY))).map((r) => r.serial)).toContain(
          expired.serial,
        );
      });

      it('imports in bulk, skipping serials it already has, giving the CN to the longest-lived certificate', async () => {
        const a = record({
          cn: 'legacy',
          slackId: undefined,
          source: 'easyrsa',
          notAfter: new Date(Date.now() + 10 * DAY),
        });
        const b = record({
          cn: 'legacy',
          slackId: undefined,
          source: 'easyrsa',
          notAfter: new Date(Date.now() + 20 * DAY),
        });
        expect(await certificates.importMany([a, b])).toBe(2);
        expect(await certificates.importMany([a, b])).toBe(0);
        expect((await certificates.byActiveCn('legacy'))?.serial).toBe(b.serial);
      });

      it('replaces a placeholder known only from our CRL with the imported record, still revoked, and overwrites nothing else', async () => {
        const revokedAt = new Date(Date.now() - DAY);
        // What the CRL publisher writes for a serial on a live CRL that the (recreated) table did not know.
        const placeholder = record({
          cn: 'unknown-placeholder',
          slackId: undefined,
          device: undefined,
          status: 'revoked',
          source: 'crl',
          issuedBy: 'system:crl',
          notAfter: new Date(Date.now() + 3650 * DAY),
          revokedAt,
          reason: 'keyCompromise',
          revokedBy: 'system:crl',
        });
        expect(await certificates.importMany([placeholder])).toBe(1);
        const issued = record({ cn: 'kept-U0KEPT.vpn.test', slackId: 'U0KEPT' });
        await certificates.create(issued);
        const issuedBefore = await certificates.get(issued.serial);

        // A re-run of the Easy-RSA import, whose index.txt still calls the placeholder's certificate valid.
        const real = record({
          serial: placeholder.serial,
          cn: 'dave-U0DAVE.vpn.test',
          slackId: 'U0DAVE',
          source: 'easyrsa',
          issuedBy: 'vpnctl:ops',
          notAfter: new Date(Date.now() + 30 * DAY),
        });
        const otherOverIssued = record({
          serial: issued.serial,
          cn: 'mallory-U0MAL.vpn.test',
          slackId: 'U0MAL',
          source: 'easyrsa',
          status: 'revoked',
          revokedAt,
          reason: 'superseded',
        });
        const newcomer = record({ cn: 'erin-U0ERIN.vpn.test', slackId: 'U0ERIN', source: 'easyrsa' });
        const placeholderOverPlaceholder = record({ ...placeholder, cn: 'unknown-again', revokedAt: new Date() });
        expect(await certificates.importMany([real, otherOverIssued, newcomer])).toBe(2);
        expect(await certificates.importMany([placeholderOverPlaceholder])).toBe(0);

        const replaced = await certificates.get(placeholder.serial);
        expect(replaced).toMatchObject({
          cn: real.cn,
          slackId: 'U0DAVE',
          source: 'easyrsa',
          notAfter: real.notAfter,
          status: 'revoked',
          revokedAt,
          reason: 'keyCompromise',
          revokedBy: 'system:crl',
        });
        expect(await certificates.get(issued.serial)).toEqual(issuedBefore);
        expect((await certificates.get(newcomer.serial))?.status).toBe('active');
        // Revoked, it holds no CN; listed on the CRL until its real expiry, not the CA's.
        expect(await certificates.byActiveCn(real.cn)).toBeUndefined();
        expect((await certificates.byUser('U0DAVE')).map((c) => c.serial)).toEqual([placeholder.serial]);
        expect((await certificates.revocationsForCrl(new Date())).map((r) => r.serial)).toContain(placeholder.serial);
        expect(
          (await certificates.revocationsForCrl(new Date(Date.now() + 31 * DAY))).map((r) => r.serial),
        ).not.toContain(placeholder.serial);
        expect(await certificates.importMany([real])).toBe(0);
      });

      it('claims a CN on a re-run by what is stored, not by a stale input that calls a revoked certificate valid', async () => {
        const shorter = record({
          cn: 'legacy2',
          slackId: undefined,
          source: 'easyrsa',
          notAfter: new Date(Date.now() + 10 * DAY),
        });
        const longer = record({
          cn: 'legacy2',
          slackId: undefined,
          source: 'easyrsa',
          notAfter: new Date(Date.now() + 20 * DAY),
        });
        expect(await certificates.importMany([shorter, longer])).toBe(2);
        await certificates.markRevoked(longer.serial, {
          revokedAt: new Date(),
          reason: 'keyCompromise',
          actor: 'U0ADMIN',
        });
        expect(await certificates.importMany([shorter, longer])).toBe(0);
        expect((await certificates.byActiveCn('legacy2'))?.serial).toBe(shorter.serial);
      });
    });

    describe('CRL state', () => {
      it('hands out strictly increasing CRL numbers under concurrency', async () => {
        const numbers = await Promise.all(Array.from({ length: 40 }, () => crl.nextCrlNumber('ca-1')));
        expect(new Set(numbers.map(String)).size).toBe(40);
        expect(await crl.currentCrlNumber('ca-1')).toBe(40n);
        expect(await crl.currentCrlNumber('ca-other')).toBe(0n);
      });

      it('numbers past a given CRL number, and never moves the counter back', async () => {
        expect(await crl.nextCrlNumber('ca-2', 7n)).toBe(8n);
        expect(await crl.nextCrlNumber('ca-2', 3n)).toBe(9n);
        expect(await crl.nextCrlNumber('ca-2')).toBe(10n);
      });

      it('numbers exactly up to 2^53 - 1, and refuses to count past a larger live CRL number instead of rounding', async () => {
        const largest = BigInt(Number.MAX_SAFE_INTEGER);
        expect(await crl.nextCrlNumber('ca-edge', largest - 1n)).toBe(largest);
        for (const live of [largest, 2n ** 53n + 1n, 2n ** 159n]) {
          const error = await rejectionOf(crl.nextCrlNumber('ca-big', live));
          expect(error.code).toBe('CRL_NUMBER');
          expect(error.message).toContain(
            `A CRL of this CA carries number ${live}, and vpn-chatops counts CRL numbers exactly only up to 9007199254740991`,
          );
          expect(error.message).toMatch(/another tool must have signed it with this CA's key/);
        }
        expect(await crl.currentCrlNumber('ca-big')).toBe(0n);
        const at = new Date();
        const published = { caId: 'ca-big', served: 1, thisUpdate: at, nextUpdate: at, entries: 0, at, listed: [] };
        expect(
          (await rejectionOf(crl.recordPublished('ep-big', { ...published, crlNumber: 2n ** 53n + 1n }))).code,
        ).toBe('CRL_NUMBER');
        expect(await crl.getEndpoint('ep-big')).toBeUndefined();
      });

      it('gives a lease to one owner at a time, and takes it back from a holder whose lease ran out', async () => {
        expect(await crl.acquireLease('ep', 'a', 60_000)).toBe(true);
        expect(await crl.acquireLease('ep', 'b', 60_000)).toBe(false);
        await crl.releaseLease('ep', 'b');
        expect(await crl.acquireLease('ep', 'b', 60_000)).toBe(false);
        await crl.releaseLease('ep', 'a');
        expect(await crl.acquireLease('ep', 'b', 1)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(await crl.acquireLease('ep', 'c', 60_000)).toBe(true);
      });

      it('records publishes only forward', async () => {
        const at = new Date();
        const base = {
          caId: 'ca-a',
          thisUpdate: at,
          nextUpdate: new Date(at.getTime() + 180 * DAY),
          entries: 1,
          at,
          listed: [],
        };
        expect(await crl.requestPublish('ep2')).toBe(1);
        expect(await crl.recordPublished('ep2', { ...base, served: 1, crlNumber: 5n })).toBe(true);
        expect(await crl.recordPublished('ep2', { ...base, served: 1, crlNumber: 4n })).toBe(false);
        await crl.recordFailure('ep2', 'boom', at);
        expect(await crl.getEndpoint('ep2')).toMatchObject({
          crlNumber: '5',
          served: 1,
          requested: 1,
          lastError: 'boom',
        });
        expect(await crl.recordPublished('ep2', { ...base, served: 1, crlNumber: 6n })).toBe(true);
        expect((await crl.getEndpoint('ep2'))?.lastError).toBeUndefined();
        expect((await crl.listEndpoints()).map((e) => e.endpoint)).toContain('ep2');
        // A new CA starts its own sequence: its #1 is recorded over the old CA's #6.
        expect(await crl.recordPublished('ep2', { ...base, caId: 'ca-b', served: 1, crlNumber: 1n })).toBe(true);
        expect(await crl.getEndpoint('ep2')).toMatchObject({ caId: 'ca-b', crlNumber: '1' });
      });
    });

    it('carries the serials of a request until a published CRL lists them', async () => {
      await crl.requestPublish('ep3', ['0A', '0B']);
      await crl.requestPublish('ep3', ['0C']);
      expect((await crl.getEndpoint('ep3'))?.pending.sort()).toEqual(['0A', '0B', '0C']);
      const at = new Date();
      await crl.recordPublished('ep3', {
        caId: 'ca-a',
        served: 2,
        crlNumber: 1n,
        thisUpdate: at,
        nextUpdate: at,
        entries: 2,
        at,
        listed: ['0A', '0B'],
      });
      expect((await crl.getEndpoint('ep3'))?.pending).toEqual(['0C']);
    });

    it('renews a lease only for its owner', async () => {
      expect(await crl.acquireLease('ep4', 'a', 60_000)).toBe(true);
      expect(await crl.renewLease('ep4', 'a', 60_000)).toBe(true);
      expect(await crl.renewLease('ep4', 'b', 60_000)).toBe(false);
    });

    describe('audit', () => {
      it('appends and answers by time, actor and target', async () => {
        const t0 = new Date('2026-11-20T10:00:00Z');
        await audit.append({
          actor: 'U0A',
          action: 'certificate.issue',
          target: 'U0B',
          outcome: 'success',
          at: t0,
          details: { serial: '01' },
        });
        await audit.append({
          actor: 'U0A',
          action: 'certificate.revoke',
          target: 'U0C',
          outcome: 'success',
          at: new Date('2026-11-21T10:00:00Z'),
        });
        await audit.append({
          actor: 'U0D',
          action: 'certificate.revoke',
          target: 'U0B',
          outcome: 'refused',
          at: new Date('2026-11-22T10:00:00Z'),
        });
        const range = { since: new Date('2026-11-19T00:00:00Z'), until: new Date('2026-11-23T00:00:00Z') };
        expect((await audit.query(range)).map((e) => e.action)).toEqual([
          'certificate.issue',
          'certificate.revoke',
          'certificate.revoke',
        ]);
        expect((await audit.query({ ...range, actor: 'U0A' })).map((e) => e.target)).toEqual(['U0B', 'U0C']);
        expect((await audit.query({ ...range, target: 'U0B' })).map((e) => e.outcome)).toEqual(['success', 'refused']);
        expect((await audit.query({ ...range, since: new Date('2026-11-21T00:00:00Z') })).length).toBe(2);
        expect((await audit.query(range))[0].details).toEqual({ serial: '01' });
      });

      it('with a limit, answers the newest entries oldest first, across days and by actor or target, reading no further than it must', async () => {
        const log = new DynamoDbAuditLog(db);
        const day = (d: number, h: number) => new Date(Date.UTC(2026, 9, d, h));
        for (const [d, h] of [
          [1, 9],
          [1, 15],
          [2, 9],
          [3, 9],
          [3, 15],
        ])
          await log.append({
            actor: 'U0LIM',
            action: 'certificate.issue',
            target: 'U0TGT',
            outcome: 'success',
            at: day(d, h),
          });
        const range = { since: day(1, 0), until: day(4, 0) };
        const times = (entries: { at: Date }[]) => entries.map((entry) => entry.at.toISOString());
        expect(times(await log.query({ ...range, limit: 3 }))).toEqual(
          times([{ at: day(2, 9) }, { at: day(3, 9) }, { at: day(3, 15) }]),
        );
        expect(times(await log.query({ ...range, actor: 'U0LIM', limit: 2 }))).toEqual(
          times([{ at: day(3, 9) }, { at: day(3, 15) }]),
        );
        expect(times(await log.query({ ...range, target: 'U0TGT', limit: 10 }))).toHaveLength(5);

        const reads: string[] = [];
        const send = db.doc.send.bind(db.doc);
        const spy = jest.spyOn(db.doc, 'send').mockImplementation(((command: {
          input: { ExpressionAttributeValues?: Record<string, unknown> };
        }) => {
          reads.push(String(command.input.ExpressionAttributeValues?.[':pk']));
          return send(command as never);
        }) as typeof db.doc.send);
        try {
          await log.query({ ...range, limit: 2 });
        } finally {
          spy.mockRestore();
        }
        // Newest day first (the window's last day is empty), every shard of a day and its unsharded partition at once;
        // the 3rd holds both, so the 2nd and 1st are never read.
        const day4 = [...Array.from({ length: 16 }, (_, n) => `AUDIT#2026-10-04#${n}`), 'AUDIT#2026-10-04'];
        const day3 = [...Array.from({ length: 16 }, (_, n) => `AUDIT#2026-10-03#${n}`), 'AUDIT#2026-10-03'];
        expect([new Set(reads.slice(0, 17)), new Set(reads.slice(17))]).toEqual([new Set(day4), new Set(day3)]);
        expect(reads).toHaveLength(34);
      });

      it('exports at most the newest N entries and says when older ones were left out', async () => {
        const log = new DynamoDbAuditLog(db);
        const at = (h: number) => new Date(Date.UTC(2026, 8, 1, h));
        for (let h = 1; h <= 5; h++)
          await log.append({
            actor: 'U0EXP',
            action: 'certificate.issue',
            target: `U0T${h}`,
            outcome: 'success',
            at: at(h),
          });
        const range = { since: at(0), until: at(23) };
        const all = await auditEntries({ audit: log, certificates }, range, 5);
        expect([all.entries.length, all.truncated]).toEqual([5, false]);
        const cut = await auditEntries({ audit: log, certificates }, range, 3);
        expect(cut.truncated).toBe(true);
        expect(cut.entries.map((entry) => entry.target)).toEqual(['U0T3', 'U0T4', 'U0T5']);
        const one = await auditEntries({ audit: log, certificates }, { ...range, slackId: 'U0EXP' }, 2);
        expect([one.entries.map((entry) => entry.target), one.truncated]).toEqual([['U0T4', 'U0T5'], true]);
      });
    });

    describe('idempotency keys', () => {
      it('claims a key once, with a TTL, and lets it be claimed again once expired', async () => {
        const idempotency = new DynamoDbIdempotencyStore(db);
        expect(await Promise.all([idempotency.claim('event:Ev1', 3600), idempotency.claim('event:Ev1', 3600)])).toEqual(
          expect.arrayContaining([true, false]),
        );
        expect(await idempotency.claim('event:Ev1', 3600)).toBe(false);
        expect(await idempotency.claim('event:Ev2', 3600)).toBe(true);
        const { Item } = await db.doc.send(
          new GetCommand({ TableName: db.tableName, Key: { pk: 'IDEMPOTENCY#event:Ev2', sk: 'KEY' } }),
        );
        expect(Item!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3500);
        expect(await idempotency.claim('event:short', -1)).toBe(true);
        expect(await idempotency.claim('event:short', 3600)).toBe(true);
      });
    });

    it('holds no trace of an issued private key anywhere in the table after issue, revoke and publish; only the profile has it', async () => {
      const world = await serviceWorld();
      try {
        const kept = await world.admin.issue({
          slackId: 'U0KEY',
          displayName: 'Key Holder',
          device: 'laptop',
          actor: 'U0ADMIN',
        });
        const revoked = await world.admin.issue({ slackId: 'U0LEFT', displayName: 'Leaver', actor: 'U0ADMIN' });
        await world.admin.revoke({
          target: { serial: revoked.record.serial },
          reason: 'keyCompromise',
          actor: 'U0ADMIN',
        });

        const items: Record<string, unknown>[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const page = await world.db.doc.send(
            new ScanCommand({ TableName: world.db.tableName, ExclusiveStartKey: start }),
          );
          items.push(...(page.Items ?? []));
          start = page.LastEvaluatedKey;
        } while (start);
        const raw = JSON.stringify(items);
        expect(raw).not.toContain('PRIVATE KEY');

        for (const { profile, certPem } of [kept, revoked]) {
          const pemBody = (pem: string) => pem.split(/\r?\n/).filter((line) => line && !line.startsWith('-----'));
          const keyPem = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/.exec(
            profile,
          )?.[0];
          expect(keyPem).toBeDefined();
          const keyLines = pemBody(keyPem!);
          expect(keyLines.length).toBeGreaterThan(20);
          // The scan does see what is stored about the certificate: its public PEM.
          expect(pemBody(certPem).every((line) => raw.includes(line))).toBe(true);
          expect(raw).not.toContain(keyLines.join(''));
          expect(raw).not.toContain(keyLines.join('\\n'));
          // Key lines that hold only public bytes (the modulus) may also be in the certificate: those do not count.
          const secretLines = keyLines.filter((line) => !certPem.includes(line));
          expect(secretLines.length).toBeGreaterThan(10);
          expect(secretLines.filter((line) => raw.includes(line))).toEqual([]);
          // Nor the private numbers in any common encoding.
          const jwk = createPrivateKey(keyPem!).export({ format: 'jwk' });
          for (const secret of [jwk.d!, jwk.p!, jwk.q!]) {
            const bytes = Buffer.from(secret, 'base64url');
            for (const encoded of [
              secret,
              bytes.toString('base64'),
              bytes.toString('hex'),
              bytes.toString('hex').toUpperCase(),
            ])
              expect(raw).not.toContain(encoded.slice(8, 72));
          }
        }
      } finally {
        await world.close();
      }
    });

    it('runs DynamoDB Local on 127.0.0.1 only (its data accepts any credentials)', () => {
      const port = Number(new URL(DYNAMODB_ENDPOINT!).port).toString(16).toUpperCase().padStart(4, '0');
      const listening = ['/proc/net/tcp', '/proc/net/tcp6']
        .flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1))
        .map((line) => line.trim().split(/\s+/))
        .filter((fields) => fields[1]?.endsWith(`:${port}`) && fields[3] === '0A')
        .map((fields) => fields[1].split(':')[0]);
      expect(listening.length).toBeGreaterThan(0);
      // 127.0.0.1, as IPv4 or IPv4-mapped IPv6, in /proc's little-endian hex.
      expect(
        listening.every((address) => address === '0100007F' || address === '0000000000000000FFFF00000100007F'),
      ).toBe(true);
    });

    it('fails with a clear message when DynamoDB is down, and writes nothing', async () => {
      const down = new DynamoDbCertificateStore(
        connectDatabase({ tableName: 'nowhere', endpoint: 'http://127.0.0.1:9' }),
      );
      const error = await down.create(record()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect((error as Error).message).toMatch(/not reachable.*nothing was changed/);
    });
  },
);
