import { DynamoDbSlackBudget } from '../../src/adapters/dynamodb/slack-budget';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const MINUTE = 60_000;

/**
 * A clock that moves only when every taker is asleep, to the earliest wake-up: each taker's grant happens
 * at the time its own budget read, and a 60-second rule can be checked exactly.
 */
class SharedTime {
  now = Date.UTC(2026, 11, 5, 3, 0, 7);
  private active = 0;
  private readonly sleepers: { at: number; wake: () => void }[] = [];

  wait = (ms: number) =>
    new Promise<void>((wake) => {
      this.sleepers.push({ at: this.now + ms, wake });
      this.advance();
    });

  async taking<T>(work: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.advance();
    }
  }

  private advance(): void {
    if (this.sleepers.length === 0 || this.sleepers.length < this.active) return;
    this.sleepers.sort((a, b) => a.at - b.at);
    const next = this.sleepers.shift()!;
    this.now = Math.max(this.now, next.at);
    next.wake();
  }
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  "the shared budget under Slack's per-minute limits",
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let scopes = 0;

    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(async () => {
      await db?.drop();
    });

    /** `containers` budgets on one table, as the connect function, the Slack function and the worker hold them. */
    function containers(count: number, perMinute: Record<string, number>, time: SharedTime) {
      const scope = `B0TEST${++scopes}`;
      return Array.from(
        { length: count },
        () => new DynamoDbSlackBudget(db, scope, perMinute, time.wait, () => time.now),
      );
    }

    it('lets no more calls through in any 60 seconds than the limit, across containers, and serves every one in turn', async () => {
      const time = new SharedTime();
      const budgets = containers(3, { 'chat.update': 5 }, time);
      const by = new Date(time.now + 10 * MINUTE);
      const granted: number[] = [];
      const taken = await Promise.all(
        Array.from({ length: 18 }, (_, i) =>
          time.taking(async () => {
            const ok = await budgets[i % 3].take('chat.update', by);
            if (ok) granted.push(time.now);
            return ok;
          }),
        ),
      );
      expect(taken.every(Boolean)).toBe(true);
      for (const at of granted) expect(granted.filter((t) => t > at - MINUTE && t <= at).length).toBeLessThanOrEqual(5);
      // Paced, not starved: 18 calls at 5 a minute need a little over three minutes, not the ten allowed.
      expect(Math.max(...granted) - Math.min(...granted)).toBeLessThan(5 * MINUTE);
    });

    it('says no when there is no room by the deadline, and a refused call takes nothing from the budget', async () => {
      const time = new SharedTime();
      const [budget] = containers(1, { 'chat.postMessage': 2 }, time);
      const now = () => new Date(time.now);
      const takes = await time.taking(async () => [
        await budget.take('chat.postMessage', now()),
        await budget.take('chat.postMessage', now()),
        await budget.take('chat.postMessage', now()),
        await budget.take('chat.postMessage', new Date(time.now + 30_000)),
      ]);
      expect(takes).toEqual([true, true, false, false]);
      // A minute and a window later both calls have left the span: exactly two fit again, so none of the refused counted.
      time.now += 70_000;
      expect(
        await time.taking(async () => [
          await budget.take('chat.postMessage', now()),
          await budget.take('chat.postMessage', now()),
          await budget.take('chat.postMessage', now()),
        ]),
      ).toEqual([true, true, false]);
    });

    it('says no at once past `by`, counting nothing, even with room', async () => {
      const time = new SharedTime();
      const [budget] = containers(1, { 'chat.postMessage': 2 }, time);
      const now = () => new Date(time.now);
      const takes = await time.taking(async () => [
        await budget.take('chat.postMessage', new Date(time.now - 1)),
        await budget.take('chat.postMessage', now()),
        await budget.take('chat.postMessage', now()),
      ]);
      expect(takes).toEqual([false, true, true]);
    });

    it('leaves methods without a published limit alone', async () => {
      const time = new SharedTime();
      const [budget] = containers(1, {}, time);
      expect(await budget.take('views.publish', new Date(time.now))).toBe(true);
    });
  },
);
