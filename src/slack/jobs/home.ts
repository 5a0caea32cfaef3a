import type { PagePlace } from '../views/certificate-pager';
import { homeView } from '../views/home';
import type { JobContext, JobOf, WorkerDeps } from './context';
import { loadHomeData } from './home-data';
import { loadHomeAccess } from './home-access';

/** The person's Home tab as it stands now; admins see the admin sections too. */
export async function publishHome(deps: WorkerDeps, userId: string, place?: PagePlace): Promise<void> {
  const isAdmin = await deps.admins.isAdmin(userId);
  const [data, access] = await Promise.all([
    loadHomeData(deps, userId, isAdmin, place),
    loadHomeAccess(deps, userId, isAdmin),
  ]);
  await deps.client.views.publish({ user_id: userId, view: homeView({ ...data, access }) });
}

/** Work that changed someone's certificates shows on their Home tab; the work itself is done whether or not it does. */
export async function refreshHome(context: JobContext, userId: string): Promise<void> {
  await publishHome(context, userId).catch((error: unknown) => context.log?.('home refresh failed', error));
}

export async function home(context: JobContext, job: JobOf<'home'>): Promise<void> {
  await publishHome(context, job.userId, { page: job.page ?? 0, cursor: job.cursor });
}
