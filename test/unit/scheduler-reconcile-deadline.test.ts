import { schedulerHandler } from '../../src/adapters/aws-lambda/scheduler';
import type { Deadline } from '../../src/domain/deadline';
import type { VpnAdmin } from '../../src/services/vpn-admin';

describe('the offboarding reconcile on the scheduler function', () => {
  const runWith = async (context?: unknown) => {
    const deadlines: (Deadline | undefined)[] = [];
    const admin = {
      reconcileOffboarding: async (deadline?: Deadline) => {
        deadlines.push(deadline);
        return undefined;
      },
    } as unknown as VpnAdmin;
    await schedulerHandler(
      async () => admin,
      () => undefined,
      () => undefined,
    )({ task: 'offboarding' }, context);
    return deadlines[0];
  };

  it("must stop a minute before the Lambda's own timeout, leaving time to save where the pass stands", async () => {
    const deadline = await runWith({ getRemainingTimeInMillis: () => 600_000 });
    expect(deadline?.remainingMs()).toBeGreaterThan(500_000);
    expect(deadline?.remainingMs()).toBeLessThanOrEqual(540_000);
    expect((await runWith({ getRemainingTimeInMillis: () => 30_000 }))?.remainingMs()).toBe(0);
  });

  it('has no deadline outside Lambda', async () => {
    expect(await runWith()).toBeUndefined();
  });
});
