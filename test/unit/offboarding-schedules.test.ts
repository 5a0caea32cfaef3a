import { SCHEDULED_TASKS, schedulerHandler } from '../../src/adapters/aws-lambda/scheduler';
import { scheduleOffboardingReconcile } from '../../src/local/offboarding-reconcile';
import type { OffboardingPassReport } from '../../src/services/offboarding-pass';
import type { VpnAdmin } from '../../src/services/vpn-admin';
import { eventually } from '../helpers/eventually';

const pass = (overrides: Partial<OffboardingPassReport> = {}): OffboardingPassReport => ({
  checked: 0,
  revoked: [],
  reported: [],
  failed: [],
  calls: 0,
  unchecked: 0,
  resumed: false,
  finished: true,
  ...overrides,
});

describe('the offboarding reconcile on its own schedule', () => {
  it('runs on the scheduler function as {"task": "offboarding"}, logging what it left, and never the daily job', async () => {
    const logged: string[] = [];
    let daily = 0;
    const admin = {
      reconcileOffboarding: async () =>
        pass({
          checked: 98,
          revoked: ['U0GONE'],
          failed: [{ slackId: 'U0X', error: 'user_not_found' }],
          lookup: 'users.list',
          calls: 1,
          unchecked: 127,
          stopped: 'out of time after 1 pages of users.list',
          resumed: true,
          finished: false,
        }),
      daily: async () => {
        daily++;
        throw new Error('not the daily job');
      },
    } as unknown as VpnAdmin;
    const handler = schedulerHandler(
      async () => admin,
      () => undefined,
      (line) => logged.push(line),
    );
    expect(SCHEDULED_TASKS).toContain('offboarding');
    expect(await handler({ task: 'offboarding' })).toEqual({
      task: 'offboarding',
      checked: 98,
      revoked: 1,
      reported: 0,
      failed: 1,
      unchecked: 127,
      calls: 1,
      resumed: true,
      finished: false,
    });
    expect(logged).toEqual([
      'offboarding check of U0X: user_not_found (checked again in the next pass)',
      'offboarding reconcile stopped (out of time after 1 pages of users.list): 127 holders not checked yet, left to the next run, which goes on from there',
    ]);
    expect(daily).toBe(0);
  });

  it('runs in npm start at once and then every interval, keeps going after a failure, and stops cleanly', async () => {
    const reports: string[] = [];
    let calls = 0;
    const admin = {
      reconcileOffboarding: async () => {
        calls++;
        if (calls === 2) throw new Error('DynamoDB is unreachable');
        if (calls === 3) return pass({ stopped: 'users.list page 2 failed: fatal_error', unchecked: 5 });
        return calls === 4 ? undefined : pass();
      },
    };
    const schedule = scheduleOffboardingReconcile(admin, (message) => reports.push(message), {
      firstMs: 0,
      everyMs: 10,
    });
    await eventually(() => calls >= 5 || undefined, 'five rounds');
    await schedule.stop();
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(after);
    expect(reports).toEqual([
      'offboarding reconcile failed: DynamoDB is unreachable; the next round tries again in an hour',
      'offboarding reconcile stopped (users.list page 2 failed: fatal_error): 5 holders not checked yet, left to the next run, which goes on from there',
    ]);
  });
});
