import type { WebClient } from '@slack/web-api';
import type { Deadline } from '../../src/domain/deadline';
import type { IdempotencyStore, CertificateStore, SlackBudget } from '../../src/ports';
import { sendExpiryReminders } from '../../src/services/reminders';
import type { AdminPolicy } from '../../src/slack/admins';
import { SlackExpiryNotifier } from '../../src/slack/expiry-notifier';
import { certificateRecord } from '../helpers/records';

const DAY = 86_400_000;
const NOW = new Date('2027-03-01T04:00:00Z');

/** Two certificates of one owner, a day from expiry: one reminder each. */
const EXPIRING = ['r1', 'r2'].map((name) =>
  certificateRecord({ slackId: 'U0OWNER', cn: `${name}.vpn.test`, notAfter: new Date(NOW.getTime() + DAY / 2) }),
);

/** The Slack notifier as the worker composes it, over a budget that has room for `room` calls, then none. */
function world(room: number) {
  const claimed = new Set<string>();
  const idempotency: IdempotencyStore = {
    claim: async (key) => !claimed.has(key) && Boolean(claimed.add(key)),
    release: async (key) => void claimed.delete(key),
  };
  const taken: { method: string; by: Date }[] = [];
  const budget: SlackBudget = {
    take: async (method, by) => taken.push({ method, by }) <= room,
  };
  const posted: string[] = [];
  const client = {
    chat: { postMessage: async ({ channel }: { channel: string }) => (posted.push(channel), { ok: true }) },
  } as unknown as WebClient;
  const deps = {
    certificates: {} as CertificateStore,
    idempotency,
    notifier: new SlackExpiryNotifier(client, {} as AdminPolicy, 24, budget),
    clock: { now: () => NOW },
    pace: { intervalMs: 0, perOwnerMs: 0 },
  };
  return { deps, claimed, taken, posted };
}

describe('expiry reminders in the shared Slack budget', () => {
  it('take room for each DM from the budget the login prompts use, and leave one with no room unclaimed for the next run', async () => {
    const { deps, claimed, taken, posted } = world(1);
    const deadline = { remainingMs: () => 60_000 } as Deadline;

    const first = await sendExpiryReminders({ ...deps, deadline }, EXPIRING);

    expect(first).toMatchObject({ sent: [{ serial: EXPIRING[0].serial }], notReached: 1 });
    expect(posted).toEqual(['U0OWNER']);
    expect(taken.map((take) => take.method)).toEqual(['chat.postMessage', 'chat.postMessage']);
    // Room is waited for no longer than the run may last.
    expect(taken[1].by.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    expect([...claimed].filter((key) => key.includes(EXPIRING[1].serial))).toEqual([]);

    // The first reminder's claim holds, though the retried check still spends room (2 takes for 1 DM).
    const second = await sendExpiryReminders({ ...deps, notifier: world(2).deps.notifier }, EXPIRING);
    expect(second).toMatchObject({ sent: [{ serial: EXPIRING[1].serial }], notReached: 0 });
  });

  it('claim a reminder only once its wait is over: a run cut off while it waits holds no claim it never used', async () => {
    jest.useFakeTimers({ now: NOW });
    try {
      const { deps, claimed, posted } = world(2);
      const run = sendExpiryReminders({ ...deps, pace: { intervalMs: 0, perOwnerMs: 1_000 } }, EXPIRING);

      await jest.advanceTimersByTimeAsync(500);
      expect(posted).toHaveLength(1);
      expect([...claimed].filter((key) => key.includes(EXPIRING[1].serial))).toEqual([]);

      await jest.advanceTimersByTimeAsync(500);
      expect((await run).sent).toHaveLength(2);
      expect([...claimed].filter((key) => key.includes(EXPIRING[1].serial))).not.toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });
});
