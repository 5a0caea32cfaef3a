import type { ApprovalStatus } from '../../domain/approval';
import type { PagePlace } from '../views/certificate-pager';
import { HOME_PAGE_SIZE } from '../views/home';
import { certificatePage } from './certificate-page';
import type { AgentRow, HomeData, LoginRecord, SessionRow } from '../views/types';
import type { WorkerDeps } from './context';

type HomeDeps = Pick<WorkerDeps, 'admin' | 'certificates' | 'audit' | 'approvals' | 'endpoints'>;

const AUDIT_ROWS = 10;

const LOGINS = 5;
const OUTCOME: Record<Exclude<ApprovalStatus, 'PENDING'>, LoginRecord['outcome']> = {
  APPROVED: 'allowed',
  DENIED: 'denied',
  EXPIRED: 'expired',
};

async function recentLogins(deps: HomeDeps, userId: string): Promise<LoginRecord[]> {
  const approvals = (await deps.approvals?.recent(userId, LOGINS)) ?? [];
  return approvals.flatMap((approval) =>
    approval.status === 'PENDING'
      ? []
      : [
          {
            at: approval.requestedAt,
            cn: approval.cn,
            publicIp: approval.request.publicIp,
            platform: approval.request.platform,
            outcome: OUTCOME[approval.status],
          },
        ],
  );
}

/** The agents' newest heartbeats; a table that does not answer shows no agents rather than no Home tab. */
async function agentRows(deps: HomeDeps): Promise<AgentRow[]> {
  try {
    return (await deps.admin.agentHeartbeats()).map(({ agentId, host, version, at, endpoints, clockSkewS }) => ({
      agentId,
      host,
      version,
      at,
      clockSkewS,
      endpoints: endpoints.map(({ endpoint, acting }) => ({ endpoint, acting })),
    }));
  } catch {
    return [];
  }
}

/**
 * Everything the Home tab shows, read in parallel; an endpoint that does not answer shows as such, not as an error
 * page.
 */
export async function loadHomeData(
  deps: HomeDeps,
  userId: string,
  isAdmin: boolean,
  place: PagePlace = { page: 0 },
): Promise<HomeData> {
  const { admin, certificates, audit, endpoints } = deps;
  const now = admin.clock.now();
  const own = certificates.byUser(userId);
  const logins = recentLogins(deps, userId);
  const durations = admin.accessLimits;
  if (!isAdmin) return { userId, now, certificates: await own, recentLogins: await logins, durations };

  const sessions = Promise.all(
    endpoints.map(async (endpoint): Promise<SessionRow[]> => {
      try {
        return (await endpoint.listSessions()).map((session) => ({ ...session, endpoint: endpoint.key }));
      } catch {
        return [];
      }
    }),
  ).then((rows) => rows.flat());
  const waiting = deps.approvals?.pending(now) ?? Promise.resolve([]);
  const [mine, crl, live, all, trail, latest, pending, agents] = await Promise.all([
    own,
    admin.crlStatuses(),
    sessions,
    certificatePage(certificates, HOME_PAGE_SIZE, place, now),
    audit.query({ limit: AUDIT_ROWS }),
    logins,
    waiting,
    agentRows(deps),
  ]);
  return {
    userId,
    now,
    certificates: mine,
    recentLogins: latest,
    durations,
    admin: {
      crl,
      pendingApprovals: pending.map(({ id, slackId, cn, request, requestedAt }) => ({
        id,
        slackId,
        cn,
        publicIp: request.publicIp,
        requestedAt,
      })),
      sessions: live,
      certificates: all,
      audit: trail.reverse(),
      agents,
    },
  };
}
