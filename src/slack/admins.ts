import type { WebClient } from '@slack/web-api';

/**
 * Who is a VPN admin: ADMIN_SLACK_IDS, and members of ADMIN_USERGROUP_ID. Checked on the server
 * every time an admin action runs. A failed group lookup counts as "not admin" (fail closed).
 */
export class AdminPolicy {
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

  private async members(): Promise<Set<string>> {
    if (this.groupMembers && this.groupMembers.until > Date.now()) return this.groupMembers.ids;
    try {
      const result = await this.client.usergroups.users.list({ usergroup: this.usergroupId! });
      const ids = new Set(result.users ?? []);
      this.groupMembers = { ids, until: Date.now() + this.cacheMs };
      return ids;
    } catch {
      return new Set();
    }
  }
}
