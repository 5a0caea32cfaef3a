import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

const DAY = 86_400_000;
const START = new Date('2027-01-04T10:00:00Z');

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'DynamoDB: expiring certificates, replacement marks, released claims',
  () => {
    let world: Awaited<ReturnType<typeof serviceWorld>>;
    const clock = { now: START };
    beforeAll(async () => {
      world = await serviceWorld({ clock: { now: () => clock.now } });
    });
    afterAll(() => world.close());

    it('lists active and suspended certificates expiring in (from, to], soonest first, never revoked ones', async () => {
      const issuedDaysAgo = async (days: number, id: string) => {
        clock.now = new Date(START.getTime() - days * DAY);
        const record = await world.enrol('Someone', id);
        clock.now = START;
        return record;
      };
      const in10 = await issuedDaysAgo(355, 'U0TEN');
      const in5 = await issuedDaysAgo(360, 'U0FIVE');
      const in40 = await issuedDaysAgo(325, 'U0FORTY');
      const expired = await issuedDaysAgo(366, 'U0GONE');
      const revoked = await issuedDaysAgo(358, 'U0REV');
      const paused = await issuedDaysAgo(357, 'U0PAUSED');
      await world.certificates.markRevoked(revoked.serial, {
        revokedAt: START,
        reason: 'keyCompromise',
        actor: 'U0ADMIN',
      });
      await world.certificates.setSuspended(paused.serial, true);
      const listed = await world.certificates.expiring(START, new Date(START.getTime() + 30 * DAY));
      expect(listed.map((r) => r.serial)).toEqual([in5.serial, paused.serial, in10.serial]);
      expect(listed.map((r) => r.serial)).not.toContain(in40.serial);
      expect(listed.map((r) => r.serial)).not.toContain(expired.serial);
      // The bounds: a certificate expiring exactly at `to` is in, exactly at `from` is out.
      expect((await world.certificates.expiring(START, in5.notAfter)).map((r) => r.serial)).toEqual([in5.serial]);
      expect((await world.certificates.expiring(in5.notAfter, in10.notAfter)).map((r) => r.serial)).toEqual([
        paused.serial,
        in10.serial,
      ]);
    });

    it('marks a certificate replaced once, keeps the mark through later writes, and never on a revoked one', async () => {
      const old = await world.enrol('Old One', 'U0OLD');
      const at = new Date(START.getTime() + DAY);
      expect(await world.certificates.markReplaced(old.serial, 'AA01', at)).toBe(true);
      expect(await world.certificates.markReplaced(old.serial, 'AA02', at)).toBe(false);
      // A replacement that was revoked again may be replaced by naming it.
      expect(await world.certificates.markReplaced(old.serial, 'AA02', at, 'AA01')).toBe(true);
      await world.certificates.setSuspended(old.serial, true);
      expect(await world.certificates.get(old.serial)).toMatchObject({
        status: 'suspended',
        replacedBy: 'AA02',
        replacedAt: at,
      });
      await world.certificates.markRevoked(old.serial, {
        revokedAt: at,
        reason: 'superseded',
        actor: 'system:renewal-used',
      });
      expect(await world.certificates.get(old.serial)).toMatchObject({ status: 'revoked', replacedBy: 'AA02' });
      expect(await world.certificates.markReplaced(old.serial, 'AA03', at, 'AA02')).toBe(false);
    });

    it('releases a claim so that it can be claimed again', async () => {
      expect(await world.idempotency.claim('expiry-reminder:test:7', 60)).toBe(true);
      expect(await world.idempotency.claim('expiry-reminder:test:7', 60)).toBe(false);
      await world.idempotency.release('expiry-reminder:test:7');
      expect(await world.idempotency.claim('expiry-reminder:test:7', 60)).toBe(true);
    });
  },
);
