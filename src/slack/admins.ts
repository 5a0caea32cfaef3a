import type { WebClient } from '@slack/web-api';
import type { AdminDirectory } from '../ports';
import { VpnChatopsError } from '../domain/errors';

/**
 * Who is a VPN admin: ADMIN_SLACK_IDS, and members of ADMIN_USERGROUP_ID. Checked on the server
 * every time an admin action runs. The group lookup is cached; when Slack does not answer, the last
 * known list is used, and with none the check fails closed with an error that says so (it is not
 * recorded as a refusal, because nobody was refused).
 */
export class AdminPolicy implements AdminDirectory {
  private groupMembers?: { ids: Set<string>; until: number };

  constructor(
    private readonly ids: readonly string[],
    private readonly usergroupId: string | undefined,
    private readonly client: WebClient,
    private readonly cacheMs = 60_000,
  ) {}

  async isAdmin(userId: string): Promise<boolean> {
    if (this.ids.includes(userId)) return true;
    if (!this.usergroupId) return false;
    return (await this.members()).has(userId);
  }

  /** Every admin now, for messages meant for all of them (the weekly digest). */
  async all(): Promise<string[]> {
    const group = this.usergroupId ? [...(await this.members())] : [];
    return [...new Set([...this.ids, ...group])];
  }

  /** No network: for showing or hiding admin hints, never for deciding. */
  knownAdmin(userId: string): boolean {
    return this.ids.includes(userId) || Boolean(this.groupMembers?.ids.has(userId));
  }

  private async members(): Promise<Set<string>> {
    if (this.groupMembers && this.groupMembers.until > Date.now()) return this.groupMembers.ids;
    try {
      const result = await this.client.usergroups.users.list({ usergroup: this.usergroupId! });
      this.groupMembers = { ids: new Set(result.users ?? []), until: Date.now() + this.cacheMs };
      return this.groupMembers.ids;
    } catch (error) {
      if (this.groupMembers) return this.groupMembers.ids;
      throw new VpnChatopsError(
        'STORE_UNAVAILABLE',
        'Could not check the VPN admin group: Slack did not answer. Nothing was done; try again in a minute.',
        { cause: error },
      );
    }
  }
}
