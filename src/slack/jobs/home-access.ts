import { eligibilityOf } from '../../services/eligibility';
import type { HomeAccess } from '../views/types';
import type { WorkerDeps } from './context';

/**
 * What the Home shows of access requests; nothing outside ISSUE_POLICY=request, and nothing rather than no Home when a
 * read fails.
 */
export async function loadHomeAccess(
  deps: WorkerDeps,
  userId: string,
  isAdmin: boolean,
): Promise<HomeAccess | undefined> {
  const { access } = deps;
  if (access.policy !== 'request') return undefined;
  try {
    const now = access.clock.now();
    const [own, eligibility, pending] = await Promise.all([
      access.requests.latest(userId),
      eligibilityOf(access, userId),
      isAdmin ? access.requests.pending(now) : undefined,
    ]);
    return { mayRequest: !eligibility.eligible && eligibility.mayRequest, own, pending };
  } catch (error) {
    deps.log?.('home: access requests not read', error);
    return undefined;
  }
}
