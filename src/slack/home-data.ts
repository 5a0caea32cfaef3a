import type { VpnAdmin } from '../composition';
import { crlStatus } from '../services/crl-status';
import type { HomeData, SessionRow } from './views/types';

const AUDIT_ROWS = 10;

/** Everything the Home tab shows, read in parallel; an endpoint that does not answer shows as such, not as an error page. */
export async function loadHomeData(admin: VpnAdmin, userId: string, isAdmin: boolean, page: number): Promise<HomeData> {
  const { certificates, audit, endpoints, config } = admin.deps;
  const now = admin.clock.now();
  const own = certificates.byUser(userId);
  if (!isAdmin) return { userId, now, certificates: await own, recentLogins: [] };

  const sessions = Promise.all(
    endpoints.map(async (endpoint): Promise<SessionRow[]> => {
      try {
        return (await endpoint.listSessions()).map((session) => ({ ...session, endpoint: endpoint.key }));
      } catch {
        return [];
      }
    }),
  ).then((rows) => rows.flat());
  const [mine, crl, live, all, trail] = await Promise.all([
    own,
    Promise.all(endpoints.map((endpoint) => crlStatus({ ...admin.deps, clock: admin.clock, renewBeforeDays: config.CRL_RENEW_BEFORE_DAYS }, endpoint))),
    sessions,
    certificates.list(),
    audit.query({ limit: AUDIT_ROWS }),
  ]);
  return {
    userId,
    now,
    certificates: mine,
    recentLogins: [],
    admin: { crl, pendingApprovals: [], sessions: live, certificates: all, page, audit: trail.reverse() },
  };
}
