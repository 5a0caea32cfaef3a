import type { WebClient } from '@slack/web-api';
import { VpnChatopsError } from '../domain/errors';
import type { GroupMembership } from '../ports';

/**
 * A Slack user group's members (usergroups.users.list), asked when a decision needs them. The list is
 * cached; when Slack does not answer, the last known list is used, and with none the check fails closed
 * with an error that says so (it is not a refusal: nobody was refused).
 */
export class SlackUsergroup implements GroupMembership {
  private members?: { ids: Set<string>; until: number; fetchedAt: number };

  constructor(
    private readonly usergroupId: string,
    private readonly client: WebClient,
    /** Finishes "Could not check …", e.g. "the VPN admin group". */
    private readonly label: string,
    private readonly cacheMs = 60_000,
    /** How old a last known list may be and still decide while Slack does not answer; older fails closed. */
    private readonly maxStaleMs = Infinity,
  ) {}

  async has(slackId: string): Promise<boolean> {
    return (await this.all()).has(slackId);
  }

  /** No network: for showing or hiding hints, never for deciding. */
  known(slackId: string): boolean {
    return Boolean(this.members?.ids.has(slackId));
  }

  async all(): Promise<Set<string>> {
    if (this.members && this.members.until > Date.now()) return this.members.ids;
    try {
      const result = await this.client.usergroups.users.list({ usergroup: this.usergroupId });
      this.members = { ids: new Set(result.users ?? []), until: Date.now() + this.cacheMs, fetchedAt: Date.now() };
      return this.members.ids;
    } catch (error) {
      if (this.members && Date.now() - this.members.fetchedAt <= this.maxStaleMs) return this.members.ids;
      throw new VpnChatopsError(
        'STORE_UNAVAILABLE',
        `Could not check ${this.label}: Slack did not answer. Nothing was done; try again in a minute.`,
        { cause: error },
      );
    }
  }
}
