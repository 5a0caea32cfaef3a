import { VpnChatopsError } from '../../domain/errors';
import type { SlackUser } from './types';

export const TEAM_ID = 'T0LOCAL';
export const TEAM_NAME = 'vpn-chatops local';
export const BOT_USER_ID = 'UBOT';
export const BOT_ID = 'BBOT';
/** Where slash commands are typed unless said otherwise. */
export const GENERAL_CHANNEL = 'C0GENERAL';
/** The console's admin channel, unless ADMIN_CHANNEL_ID says otherwise. */
export const ADMINS_CHANNEL = 'C0VPNADMINS';

export const DEFAULT_USERS: readonly SlackUser[] = [
  { id: 'U0ADMIN', name: 'ada', real_name: 'Ada Admin', is_admin: true },
  { id: 'U0ALICE', name: 'alice', real_name: 'Alice Example' },
  { id: 'U0BOB', name: 'bob', real_name: 'Bob Example' },
];

/** The VPN admins' group, as a bot configured with an admin usergroup would look it up. */
export const DEFAULT_USERGROUPS: Readonly<Record<string, readonly string[]>> = { S0VPNADMINS: ['U0ADMIN'] };

const BOT_USER: SlackUser = { id: BOT_USER_ID, name: 'vpn-chatops', real_name: 'VPN ChatOps', is_bot: true };

/** The bot's DM with a user: one per user, so the id can be derived rather than stored. */
export const dmChannelId = (userId: string): string => `D${userId}`;

/**
 * Who the workspace holds: the same people for the stand-in's life (reset() keeps them), whose accounts an admin may
 * change.
 */
export class Workspace {
  readonly users: ReadonlyMap<string, SlackUser>;
  readonly usergroups: ReadonlyMap<string, readonly string[]>;

  constructor(users: readonly SlackUser[], usergroups: Readonly<Record<string, readonly string[]>>) {
    const byId = new Map<string, SlackUser>();
    for (const user of [BOT_USER, ...users]) {
      if (!/^[UW][A-Z0-9]+$/.test(user.id)) {
        throw new VpnChatopsError(
          'INVALID_CONFIG',
          `Slack stand-in user id "${user.id}" must look like a Slack id (U or W, then A-Z 0-9).`,
        );
      }
      if (byId.has(user.id)) {
        throw new VpnChatopsError(
          'INVALID_CONFIG',
          `Slack stand-in user id ${user.id} is given twice (${BOT_USER_ID} is the bot's).`,
        );
      }
      byId.set(user.id, { ...user });
    }
    for (const [group, members] of Object.entries(usergroups)) {
      const unknown = members.filter((id) => !byId.has(id));
      if (unknown.length > 0) {
        throw new VpnChatopsError(
          'INVALID_CONFIG',
          `Slack stand-in usergroup ${group} lists unknown users: ${unknown.join(', ')}.`,
        );
      }
    }
    this.users = byId;
    this.usergroups = new Map(Object.entries(usergroups).map(([group, members]) => [group, [...members]]));
  }

  /**
   * What a workspace admin does to an account: deactivate it, or make it a guest. Returns the account as
   * it now is, for the user_change event Slack sends every app.
   */
  changeAccount(id: string, change: Pick<SlackUser, 'deleted' | 'is_restricted' | 'is_ultra_restricted'>): SlackUser {
    const user = this.users.get(id);
    if (!user || user.id === BOT_USER_ID)
      throw new VpnChatopsError('NOT_FOUND', `No member ${id} in the Slack stand-in's workspace.`);
    const changed = { ...user, ...change };
    (this.users as Map<string, SlackUser>).set(id, changed);
    return changed;
  }

  /** A user as users.info returns one; Bolt apps read both `real_name` and `profile.real_name`. */
  userJson(user: SlackUser): Record<string, unknown> {
    return {
      id: user.id,
      team_id: user.team_id ?? TEAM_ID,
      is_restricted: user.is_restricted ?? false,
      is_ultra_restricted: user.is_ultra_restricted ?? false,
      is_stranger: user.is_stranger ?? false,
      name: user.name,
      real_name: user.real_name,
      deleted: user.deleted ?? false,
      is_admin: user.is_admin ?? false,
      is_owner: false,
      is_bot: user.is_bot ?? false,
      is_app_user: false,
      profile: {
        real_name: user.real_name,
        display_name: user.name,
        team: TEAM_ID,
        ...(user.id === BOT_USER_ID ? { bot_id: BOT_ID } : {}),
      },
    };
  }

  /**
   * The channel a message to `id` lands in. The bot is taken to be a member of every C/G channel
   * (they need no declaring); D ids must be a DM with a known user, and a U id means that DM.
   */
  channelFor(id: string): string | undefined {
    if (/^[CG][A-Z0-9]+$/.test(id)) return id;
    const userId = id.startsWith('D') ? id.slice(1) : id;
    const user = this.users.get(userId);
    if (!user || user.id === BOT_USER_ID) return undefined;
    return dmChannelId(user.id);
  }
}
