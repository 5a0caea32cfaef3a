import type { CertificateRecord } from '../../src/domain/certificate';
import type { Deadline } from '../../src/domain/deadline';
import type { Reminder } from '../../src/domain/expiry';
import type { CertificateStore, ExpiryNotifier, IdempotencyStore } from '../../src/ports';
import { sendExpiryReminders } from '../../src/services/reminders';
import { certificateRecord } from '../helpers/records';

const DAY = 86_400_000;
const NOW = new Date('2027-03-01T04:00:00Z');

/** 600 certificates expiring within 30 days, soonest first as the store returns them; 3 per owner. */
const EXPIRING: CertificateRecord[] = Array.from({ length: 600 }, (_, i) =>
  certificateRecord({
    slackId: `U0R${Math.floor(i / 3)}`,
    cn: `r${i}.laptop-U0R${i}.vpn.test`,
    notAfter: new Date(NOW.getTime() + (0.5 + (29 * i) / 600) * DAY),
  }),
);

function world() {
  const claimed = new Set<string>();
  const idempotency: IdempotencyStore = {
    claim: async (key) => !claimed.has(key) && Boolean(claimed.add(key)),
    release: async (key) => void claimed.delete(key),
  };
  const sent: Reminder[] = [];
  const notifier = { remind: async (reminder: Reminder) => void sent.push(reminder) } as unknown as ExpiryNotifier;
  const deps = {
    certificates: {} as CertificateStore,
    idempotency,
    notifier,
    clock: { now: () => NOW },
    pace: { intervalMs: 0, perOwnerMs: 0 },
  };
  return { deps, sent };
}

/** Out of time once `dms` reminders went out in this run. */
const afterDms = (sent: Reminder[], dms: number): Deadline => {
  const before = sent.length;
  return { remainingMs: () => (sent.length - before >= dms ? 0 : 60_000) } as Deadline;
};

describe('expiry reminders stopped by the deadline', () => {
  it('send the most urgent first, and the next runs send the rest: everyone due once, nobody twice', async () => {
    const { deps, sent } = world();

    const first = await sendExpiryReminders({ ...deps, deadline: afterDms(sent, 250) }, EXPIRING);
    expect(first.sent).toHaveLength(250);
    expect(first.notReached).toBe(350);
    // The soonest to expire went first: the 1-day and 7-day reminders are not the ones left over.
    expect(first.sent.map((reminder) => reminder.serial)).toEqual(
      EXPIRING.slice(0, 250).map((record) => record.serial),
    );

    const second = await sendExpiryReminders({ ...deps, deadline: afterDms(sent, 250) }, EXPIRING);
    const third = await sendExpiryReminders(deps, EXPIRING);
    expect([second.sent.length, second.notReached, third.sent.length, third.notReached]).toEqual([250, 100, 100, 0]);

    const serials = sent.map((reminder) => reminder.record.serial);
    expect(new Set(serials).size).toBe(serials.length);
    expect(serials.sort()).toEqual(EXPIRING.map((record) => record.serial).sort());
    expect(sent.find((reminder) => reminder.record.serial === EXPIRING[0].serial)?.threshold).toBe(1);

    expect((await sendExpiryReminders(deps, EXPIRING)).sent).toEqual([]);
  });
});
