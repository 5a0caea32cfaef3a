import { scheduleDaily } from '../../src/local/daily';
import type { DailyReport as Daily } from '../../src/services/daily';
import { eventually } from '../helpers/eventually';

const quiet = (overrides: Partial<Daily> = {}): Daily =>
  ({
    renewals: [],
    sessions: [],
    retired: [],
    reminders: undefined,
    digest: undefined,
    problems: [],
    ...overrides,
  }) as Daily;

describe('the daily job outside AWS (npm start)', () => {
  it('runs at once, then again every interval, and keeps going after a failed run', async () => {
    const actors: string[] = [];
    const reports: string[] = [];
    let calls = 0;
    const admin = {
      daily: async (actor?: string) => {
        actors.push(actor ?? '');
        calls++;
        if (calls === 2) throw new Error('DynamoDB is unreachable');
        if (calls === 3)
          return quiet({
            problems: ['reminders: Slack is down'],
            renewals: [{ endpoint: 'openvpn:local', action: 'failed' }] as Daily['renewals'],
          });
        return quiet();
      },
    };
    const schedule = scheduleDaily(admin, (message) => reports.push(message), { firstMs: 0, everyMs: 20 });
    try {
      await eventually(() => (calls >= 4 ? true : undefined), 'four daily runs');
    } finally {
      await schedule.stop();
    }
    expect(actors.every((actor) => actor === 'system:npm-start')).toBe(true);
    expect(reports).toEqual([
      expect.stringMatching(
        /^daily job failed: DynamoDB is unreachable; it runs again in 24 hours, or run `vpnctl daily`$/,
      ),
      'daily job: reminders: Slack is down',
      expect.stringMatching(/^daily job: CRL renewal on openvpn:local failed; .*vpnctl crl publish/),
    ]);
  });

  it('stops: no further runs, and waits for the one in progress', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    let finished = false;
    const admin = {
      daily: async () => {
        calls++;
        await new Promise<void>((resolve) => (release = resolve));
        finished = true;
        return quiet();
      },
    };
    const schedule = scheduleDaily(admin, () => undefined, { firstMs: 0, everyMs: 10 });
    await eventually(() => (calls === 1 ? true : undefined), 'the first run');
    const stopped = schedule.stop();
    release();
    await stopped;
    expect(finished).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(1);
  });
});
