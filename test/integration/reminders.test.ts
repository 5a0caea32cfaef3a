import { VpnAdmin } from '../../src/services/vpn-admin';
import type { CertificateRecord } from '../../src/domain/certificate';
import { VpnChatopsError } from '../../src/domain/errors';
import { parseCrl } from '../../src/pki/crl';
import type { DigestEntry, Reminder } from '../../src/domain/expiry';
import type { ExpiryNotifier } from '../../src/ports';
import { isoWeek } from '../../src/services/reminders';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { rejectionOf } from '../helpers/errors';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

const DAY = 86_400_000;
/** A Monday, so simulated weeks line up with ISO weeks. */
const START = new Date('2027-01-04T10:00:00Z');

/** The notifier port as the tests see it: every call recorded, with the day it happened; `failNext` makes the next reminder DM fail. */
class RecordingNotifier implements ExpiryNotifier {
  readonly reminders: (Reminder & { day: number })[] = [];
  readonly digests: { day: number; entries: DigestEntry[] }[] = [];
  readonly retirements: { old: string; replacement: string; why: string }[] = [];
  failNext = 0;
  constructor(private readonly day: () => number) {}
  async remind(reminder: Reminder) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('Slack is down');
    }
    this.reminders.push({ ...reminder, day: this.day() });
  }
  async digest(entries: DigestEntry[]) {
    this.digests.push({ day: this.day(), entries });
  }
  async retired(old: CertificateRecord, replacement: CertificateRecord, why: 'used' | 'grace-period') {
    this.retirements.push({ old: old.serial, replacement: replacement.serial, why });
  }
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'expiry reminders and renewal over simulated days',
  () => {
    let world: Awaited<ReturnType<typeof serviceWorld>>;
    let admin: VpnAdmin;
    let notifier: RecordingNotifier;
    const clock = { now: START };
    const day = () => Math.floor((clock.now.getTime() - START.getTime()) / DAY);
    const at = (days: number, hour = 10) => new Date(START.getTime() + days * DAY + (hour - 10) * 3_600_000);

    /** A certificate issued long enough ago that it expires `daysLeft` days after START. */
    async function expiringIn(daysLeft: number, name: string, slackId: string, device?: string) {
      clock.now = new Date(START.getTime() - (365 - daysLeft) * DAY);
      const record = await world.enrol(name, slackId, device);
      clock.now = START;
      return record;
    }
    const liveCrlSerials = async () =>
      parseCrl((await world.inner.exportCrl()).pem!, world.ca).revocations.map((r) => r.serial);

    beforeEach(async () => {
      clock.now = START;
      world = await serviceWorld({ clock: { now: () => clock.now } });
      notifier = new RecordingNotifier(day);
      admin = new VpnAdmin({ ...world.admin.deps, expiry: notifier, idempotency: world.idempotency });
    });
    afterEach(() => world.close());

    it('DMs the owner at 30, 7 and 1 days before expiry, once each, even with the job running twice a day', async () => {
      const alice = await expiringIn(40, 'Alice Example', 'U0ALICE', 'laptop');
      for (let d = 0; d <= 45; d++) {
        for (const hour of [10, 16]) {
          clock.now = at(d, hour);
          const run = await admin.daily();
          expect(run.problems).toEqual([]);
        }
      }
      expect(notifier.reminders.map((r) => [r.record.serial, r.threshold, r.day, r.renewable])).toEqual([
        [alice.serial, 30, 10, true],
        [alice.serial, 7, 33, true],
        [alice.serial, 1, 39, true],
      ]);
      // One digest per ISO week, on the week's first run; Alice appears once she is within 30 days.
      expect(notifier.digests.map((d) => d.day)).toEqual([0, 7, 14, 21, 28, 35, 42]);
      expect(new Set(notifier.digests.map((d) => isoWeek(at(d.day)))).size).toBe(7);
      expect(notifier.digests.map((d) => d.entries.map((e) => e.record.serial))).toEqual([
        [],
        [],
        [alice.serial],
        [alice.serial],
        [alice.serial],
        [alice.serial],
        [],
      ]);
    }, 120_000);

    it('a reminder whose DM fails is sent on the next run, and only the most urgent one after a gap', async () => {
      const bob = await expiringIn(31, 'Bob Example', 'U0BOB');
      clock.now = at(1);
      notifier.failNext = 1;
      const failed = await admin.daily();
      expect(failed.reminders?.failed).toEqual([{ serial: bob.serial, error: 'Slack is down' }]);
      clock.now = at(2);
      await admin.daily();
      expect(notifier.reminders.map((r) => [r.threshold, r.day])).toEqual([[30, 2]]);
      // Nobody ran the job for three weeks: the 7-day reminder comes, not a burst of missed ones.
      clock.now = at(27);
      await admin.daily();
      clock.now = at(28);
      await admin.daily();
      expect(notifier.reminders.map((r) => [r.threshold, r.day])).toEqual([
        [30, 2],
        [7, 27],
      ]);
    });

    it('renewal: a new certificate for the same device; the old one is retired after 7 days when the new one is never used', async () => {
      const bob = await expiringIn(23, 'Bob Example', 'U0BOB', 'laptop');
      await admin.daily();
      expect(notifier.reminders.map((r) => r.threshold)).toEqual([30]);

      // Bob presses Renew on a Thursday.
      clock.now = at(3);
      const { old, issued } = await admin.renew({ serial: bob.serial, userId: 'U0BOB', displayName: 'Bob Example' });
      expect(old.serial).toBe(bob.serial);
      expect(issued.record).toMatchObject({
        cn: expect.stringMatching(/^bob-example\.laptop-r2--[a-z2-7]{5}-U0BOB\.vpn\.test$/),
        device: 'laptop-r2',
        replaces: bob.serial,
        status: 'active',
      });
      expect(issued.profile).toContain('BEGIN PRIVATE KEY');
      expect(await world.certificates.get(bob.serial)).toMatchObject({
        status: 'active',
        replacedBy: issued.record.serial,
        replacedAt: at(3),
      });
      expect(
        (await world.audit.query({ since: at(-400), until: at(4), target: 'U0BOB' })).map((e) => e.action).sort(),
      ).toEqual(['certificate.issue', 'certificate.renew']);
      // Renewing twice gives nothing new.
      expect(
        (await rejectionOf(admin.renew({ serial: bob.serial, userId: 'U0BOB', displayName: 'Bob Example' }))).message,
      ).toBe(`Already renewed: the new profile (${issued.record.cn}) is in your DM from me.`);

      for (let d = 4; d <= 9; d++) {
        clock.now = at(d);
        expect((await admin.daily()).retired).toEqual([]);
      }
      expect((await world.certificates.get(bob.serial))?.status).toBe('active');
      // Monday's digest shows the admins that Bob has renewed.
      expect(notifier.digests.map((d) => [d.day, d.entries.map((e) => e.renewedAs)])).toEqual([
        [0, [undefined]],
        [7, [issued.record.cn]],
      ]);

      clock.now = at(10);
      const run = await admin.daily();
      expect(run.retired).toEqual([bob.serial]);
      expect(await world.certificates.get(bob.serial)).toMatchObject({
        status: 'revoked',
        reason: 'superseded',
        revokedBy: 'system:renewal-grace-period',
      });
      expect(notifier.retirements).toEqual([
        { old: bob.serial, replacement: issued.record.serial, why: 'grace-period' },
      ]);
      // Retired before the CRL step, so the same run's CRL already lists it (immediate mode).
      expect(await liveCrlSerials()).toContain(bob.serial);
      // The old certificate gets no more reminders; the new one is a year away.
      for (let d = 11; d <= 23; d++) {
        clock.now = at(d);
        await admin.daily();
      }
      expect(notifier.reminders.map((r) => r.threshold)).toEqual([30]);
    }, 60_000);

    it('renewal: a retirement the database refuses is an error, not a silent no-op, and the next signal retires the old certificate', async () => {
      const erin = await expiringIn(25, 'Erin Example', 'U0ERIN', 'phone');
      const { issued } = await admin.renew({ serial: erin.serial, userId: 'U0ERIN', displayName: 'Erin Example' });
      jest
        .spyOn(world.certificates, 'markRevoked')
        .mockRejectedValueOnce(
          new VpnChatopsError(
            'STORE_UNAVAILABLE',
            'DynamoDB refused the request (ProvisionedThroughputExceededException).',
          ),
        );
      const refused = await rejectionOf(admin.retireReplaced(issued.record.serial, 'used'));
      expect(refused.message).toBe(
        `Could not retire certificate ${erin.serial}: DynamoDB refused the request (ProvisionedThroughputExceededException).`,
      );
      expect((await world.certificates.get(erin.serial))?.status).toBe('active');
      expect((await admin.retireReplaced(issued.record.serial, 'used'))?.old.serial).toBe(erin.serial);
      expect((await world.certificates.get(erin.serial))?.status).toBe('revoked');
    }, 60_000);

    it('renewal: once the new certificate has connected, the old one is retired at once and its CRL entry waits for the daily job', async () => {
      const carol = await expiringIn(25, 'Carol Example', 'U0CAROL', 'phone');
      await admin.publishAll('U0ADMIN');
      const { issued } = await admin.renew({ serial: carol.serial, userId: 'U0CAROL', displayName: 'Carol Example' });
      const retired = await admin.retireReplaced(issued.record.serial, 'used');
      expect(retired?.old.serial).toBe(carol.serial);
      expect(await world.certificates.get(carol.serial)).toMatchObject({
        status: 'revoked',
        reason: 'superseded',
        revokedBy: 'system:renewal-used',
      });
      // The database gate refuses the old CN at once; the CRL import (on AWS, a reset of every session) is queued.
      expect(await world.certificates.byActiveCn(carol.cn)).toBeUndefined();
      expect(await liveCrlSerials()).not.toContain(carol.serial);
      const deferred = (await world.audit.query({ since: at(-1), until: at(1), target: 'openvpn:test' })).filter(
        (e) => e.outcome === 'deferred',
      );
      expect(deferred).toEqual([
        expect.objectContaining({
          action: 'crl.publish',
          actor: 'system:renewal-used',
          details: { until: at(1).toISOString(), queued: true },
        }),
      ]);
      expect(notifier.retirements).toEqual([{ old: carol.serial, replacement: issued.record.serial, why: 'used' }]);
      // A second signal (a later login) changes nothing.
      expect(await admin.retireReplaced(issued.record.serial, 'used')).toBeUndefined();

      clock.now = at(1);
      await admin.daily();
      expect(await liveCrlSerials()).toContain(carol.serial);
      expect((await world.certificates.get(issued.record.serial))?.status).toBe('active');
    }, 60_000);

    it('refuses renewals that make no sense, and changes nothing', async () => {
      const dave = await expiringIn(25, 'Dave Example', 'U0DAVE', 'laptop');
      const far = await expiringIn(200, 'Dave Example', 'U0DAVE', 'desktop');
      const refusal = async (serial: string, userId = 'U0DAVE') =>
        (await rejectionOf(admin.renew({ serial, userId, displayName: 'Dave Example' }))).message;
      expect(await refusal(dave.serial, 'U0ALICE')).toBe('You can only renew your own certificates.');
      expect(await refusal('0A0B0C')).toBe('You can only renew your own certificates.');
      expect(
        (await world.audit.query({ since: at(-1), until: at(1), actor: 'U0ALICE' })).map((e) => [
          e.action,
          e.details?.what,
        ]),
      ).toEqual([['access.refused', 'renew']]);
      expect(await refusal(far.serial)).toMatch(
        /^Renewal opens 30 days before expiry; this certificate is good until 2027-07-23\.$/,
      );
      await world.certificates.setSuspended(dave.serial, true);
      expect(await refusal(dave.serial)).toMatch(/paused after a "Not me" answer/);
      await world.certificates.setSuspended(dave.serial, false);
      await admin.revoke({ target: { serial: dave.serial }, reason: 'keyCompromise', actor: 'U0ADMIN' });
      expect(await refusal(dave.serial)).toBe('This certificate is revoked; get a new one with `/vpn issue laptop`.');
      expect((await world.certificates.byUser('U0DAVE')).map((c) => c.device).sort()).toEqual(['desktop', 'laptop']);
    }, 60_000);
  },
);
