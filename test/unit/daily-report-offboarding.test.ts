import { dailyReport } from '../../src/cli/render';
import type { DailyResult } from '../../src/cli/render';
import type { OffboardingSweep } from '../../src/services/offboarding';

describe("vpnctl daily: the offboarding reconcile's line", () => {
  const result = (sweep: OffboardingSweep): DailyResult => ({
    renewals: [],
    sessions: [],
    retired: [],
    abandoned: 0,
    offboarding: { ...sweep, resumed: false, finished: !sweep.stopped },
    problems: [],
  });

  it('names how Slack was asked and in how many calls', () => {
    const text = dailyReport(
      result({
        checked: 225,
        revoked: ['U0GONE'],
        reported: [],
        failed: [],
        lookup: 'users.list',
        calls: 3,
        unchecked: 0,
      }),
      true,
    );
    expect(text).toBe(
      '✔ offboarding: 225 holder(s) checked in Slack (3 users.list call(s)), 1 offboarded, 0 reported to the admins, 0 not checked',
    );
  });

  it('warns when a run stopped short, counting the holders it did not reach as not checked', () => {
    const text = dailyReport(
      result({
        checked: 98,
        revoked: [],
        reported: [],
        failed: [{ slackId: 'U0X', error: 'user_not_found' }],
        lookup: 'users.list',
        calls: 2,
        unchecked: 127,
        stopped: 'users.list page 2 failed: fatal_error',
      }),
      true,
    );
    expect(text).toMatch(/^⚠ offboarding: 98 holder\(s\) checked .* 128 not checked$/);
  });
});
