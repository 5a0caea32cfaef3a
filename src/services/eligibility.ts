import type { AuditLog, Clock, GrantStore, GroupMembership } from '../ports';
import { auditRefusal } from './authorization';

export type IssuePolicy = 'open' | 'group' | 'request';

export interface EligibilityDeps {
  policy: IssuePolicy;
  /** ISSUE_USERGROUP_ID's members; without it only grants (and, under `request`, approvals) let anyone in. */
  group?: GroupMembership;
  grants: GrantStore;
  clock: Clock;
}

export type Eligibility =
  | { eligible: true; via: 'open' | 'group' | 'grant'; until?: Date }
  /** `mayRequest`: under ISSUE_POLICY=request they may ask the admins instead. */
  | { eligible: false; mayRequest: boolean };

/**
 * Who may issue a certificate for themselves, under ISSUE_POLICY. It says nothing of who is a member of
 * this workspace at all (guests, other organizations, bots): the issue path checks that on top, as before.
 */
export async function eligibilityOf(deps: EligibilityDeps, slackId: string): Promise<Eligibility> {
  if (deps.policy === 'open') return { eligible: true, via: 'open' };
  if (deps.group && (await deps.group.has(slackId))) return { eligible: true, via: 'group' };
  const grant = await deps.grants.active(slackId, deps.clock.now());
  if (grant) return { eligible: true, via: 'grant', until: grant.until };
  return { eligible: false, mayRequest: deps.policy === 'request' };
}

/** What a refused person reads; the request button, where there is one, goes beside it. */
export const notEligibleText = (eligibility: { mayRequest: boolean }): string =>
  eligibility.mayRequest
    ? 'You are not in the group that may issue VPN certificates. Request access and a VPN admin will decide; once approved, your profile arrives in a DM from me.'
    : 'You are not in the group that may issue VPN certificates. Ask a VPN admin to add you, or to grant you access for a while (`/vpn grant`).';

/** The check before every issue: the same answer wherever it is asked, and each refusal audited. */
export async function checkEligible(
  deps: EligibilityDeps & { audit: AuditLog },
  slackId: string,
  what = 'issue a VPN certificate',
): Promise<Eligibility> {
  const eligibility = await eligibilityOf(deps, slackId);
  if (!eligibility.eligible)
    await auditRefusal(deps.audit, { actor: slackId, what, details: { why: 'not eligible', policy: deps.policy } });
  return eligibility;
}
