import type { AccessRequest, Grant } from '../../src/domain/access';
import type { AuditEntry } from '../../src/domain/audit';
import { VpnChatopsError } from '../../src/domain/errors';
import type { AccessRequestStore, AuditLog, GrantStore } from '../../src/ports';
import { AccessRequestDeps, decideRequest } from '../../src/services/access-requests';
import { EligibilityDeps, IssuePolicy, checkEligible, eligibilityOf } from '../../src/services/eligibility';

const NOW = new Date('2027-01-10T12:00:00Z');
const HOUR = 3_600_000;

function deps(policy: IssuePolicy, options: { members?: string[]; grants?: Grant[]; groupDown?: boolean } = {}) {
  const entries: Omit<AuditEntry, 'id' | 'at'>[] = [];
  const grants: GrantStore = {
    put: async () => undefined,
    active: async (slackId, now) => options.grants?.find((g) => g.slackId === slackId && g.until > now),
    end: async () => false,
  };
  const group = options.members
    ? {
        has: async (slackId: string) => {
          if (options.groupDown) throw new VpnChatopsError('STORE_UNAVAILABLE', 'Could not check the group.');
          return options.members!.includes(slackId);
        },
      }
    : undefined;
  const audit = {
    append: async (entry: Omit<AuditEntry, 'id' | 'at'>) => (entries.push(entry), { ...entry, id: 'x', at: NOW }),
  } as unknown as AuditLog;
  const base: EligibilityDeps = { policy, group, grants, clock: { now: () => NOW } };
  return { base, audit, entries };
}

const grant = (slackId: string, hoursLeft: number): Grant => ({
  slackId,
  grantedBy: 'U0ADMIN',
  grantedAt: NOW,
  until: new Date(NOW.getTime() + hoursLeft * HOUR),
});

describe('eligibility (services/eligibility.ts)', () => {
  it('open: anyone', async () => {
    expect(await eligibilityOf(deps('open').base, 'U0ANY')).toEqual({ eligible: true, via: 'open' });
  });

  it.each(['group', 'request'] as const)('%s: group members and holders of an unexpired grant', async (policy) => {
    const { base } = deps(policy, { members: ['U0IN'], grants: [grant('U0GRANTED', 1), grant('U0LAPSED', -1)] });
    expect(await eligibilityOf(base, 'U0IN')).toMatchObject({ eligible: true, via: 'group' });
    expect(await eligibilityOf(base, 'U0GRANTED')).toMatchObject({ eligible: true, via: 'grant' });
    for (const outsider of ['U0LAPSED', 'U0OUT'])
      expect(await eligibilityOf(base, outsider)).toEqual({ eligible: false, mayRequest: policy === 'request' });
  });

  it('without ISSUE_USERGROUP_ID only grants let anyone in', async () => {
    const { base } = deps('group', { grants: [grant('U0GRANTED', 1)] });
    expect((await eligibilityOf(base, 'U0GRANTED')).eligible).toBe(true);
    expect((await eligibilityOf(base, 'U0OTHER')).eligible).toBe(false);
  });

  it('fails closed when the group cannot be read', async () => {
    const { base } = deps('group', { members: ['U0IN'], groupDown: true });
    await expect(eligibilityOf(base, 'U0IN')).rejects.toThrow(/Could not check the group/);
  });

  it('audits a refusal, with the policy, and nothing for an allowed issue', async () => {
    const { base, audit, entries } = deps('request', { members: ['U0IN'] });
    await checkEligible({ ...base, audit }, 'U0IN');
    expect(entries).toEqual([]);
    await checkEligible({ ...base, audit }, 'U0OUT');
    expect(entries).toEqual([
      expect.objectContaining({
        actor: 'U0OUT',
        action: 'access.refused',
        details: { what: 'issue a VPN certificate', why: 'not eligible', policy: 'request' },
      }),
    ]);
  });
});

describe('deciding a request re-checks the policy (services/access-requests.ts)', () => {
  it('refuses once ISSUE_POLICY is no longer request, and changes nothing', async () => {
    const { base, audit } = deps('group');
    let decided = false;
    const pending: AccessRequest = {
      id: 'r1',
      requester: 'U0ALICE',
      hours: 8,
      reason: 'x',
      state: 'pending',
      createdAt: NOW,
      expiresAt: new Date(NOW.getTime() + 24 * HOUR),
    };
    const requests = {
      get: async () => pending,
      decide: async () => ((decided = true), pending),
    } as unknown as AccessRequestStore;
    const access: AccessRequestDeps = {
      ...base,
      audit,
      requests,
      admins: { isAdmin: async () => true },
      maxHours: 720,
    };
    await expect(decideRequest(access, { actor: 'U0ADMIN', id: 'r1', approve: true })).rejects.toThrow(
      /Access requests are closed: this bot's ISSUE_POLICY is now "group"/,
    );
    expect(decided).toBe(false);
  });
});
