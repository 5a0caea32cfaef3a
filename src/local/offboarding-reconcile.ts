import { Rounds, repeatRounds } from '../domain/repeat';
import { messageOf } from '../domain/errors';
import { HOUR_MS } from '../domain/time';
import { type OffboardingPassReport, passProblems } from '../services/offboarding-pass';

/** As often as the scheduler function's offboarding schedule on AWS; a pass starts once a day. */
export const OFFBOARDING_RECONCILE_EVERY_MS = HOUR_MS;

/**
 * What the scheduler's hourly `offboarding` schedule does on AWS, for `npm start`: the day's pass through Slack
 * for members who left without their user_change reaching us, going on from the page where the last round
 * stopped. The first round comes right after start. Problems are reported, never thrown: the next round goes on.
 */
export function scheduleOffboardingReconcile(
  admin: { reconcileOffboarding(): Promise<OffboardingPassReport | undefined> },
  report: (message: string) => void,
  options: { firstMs?: number; everyMs?: number } = {},
): Rounds {
  return repeatRounds(
    async () => {
      try {
        const result = await admin.reconcileOffboarding();
        for (const problem of result ? passProblems(result) : []) report(problem);
      } catch (error) {
        report(`offboarding reconcile failed: ${messageOf(error)}; the next round tries again in an hour`);
      }
    },
    { firstMs: options.firstMs ?? 0, everyMs: options.everyMs ?? OFFBOARDING_RECONCILE_EVERY_MS },
  );
}
