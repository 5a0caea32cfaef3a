import type { WebClient } from '@slack/web-api';
import type { AdminDirectory } from '../ports';
import { SlackUsergroup } from './usergroup';

/**
 * Who is a VPN admin: ADMIN_SLACK_IDS, and members of ADMIN_USERGROUP_ID. Checked on the server
 * every time an admin action runs, over the cached, fail-closed group lookup of SlackUsergroup.
 */
export class AdminPolicy implements AdminDirectory {
  private readonly group?: SlackUsergroup;

  constructor(
    private readonly ids: readonly string[],
    usergroupId: string | undefined,
    client: WebClient,
    cacheMs = 60_000,
  ) {
    if (usergroupId) this.group = new SlackUsergroup(usergroupId, client, 'the VPN admin group', cacheMs);
  }

  async isAdmin(userId: string): Promise<boolean> {
    if (this.ids.includes(userId)) return true;
    return this.group ? this.group.has(userId) : false;
  }

  /** Every admin now, for messages meant for all of them (the weekly digest). */
  async all(): Promise<string[]> {
    const group = this.group ? [...(await this.group.all())] : [];
    return [...new Set([...this.ids, ...group])];
  }

  /** No network: for showing or hiding admin hints, never for deciding. */
  knownAdmin(userId: string): boolean {
    return this.ids.includes(userId) || Boolean(this.group?.known(userId));
  }
}
