import { VpnChatopsError } from './errors';

/** A workspace member as Slack's users.info (or a user_change event) describes them: what offboarding decides on. */
export interface MemberProfile {
  slackId: string;
  /** The workspace the account belongs to; another team's people (Slack Connect) are not ours to offboard. */
  teamId?: string;
  /** Deactivated. */
  deleted: boolean;
  /** A multi-channel guest. */
  restricted: boolean;
  /** A single-channel guest. */
  ultraRestricted: boolean;
  bot: boolean;
}

/** The fields of Slack's user object (users.info, the user_change event) that say whether someone still belongs. */
export interface SlackUserFacts {
  id?: string;
  team_id?: string;
  deleted?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_bot?: boolean;
}

/** Slack leaves a false flag out of some payloads: absent means false. */
export function memberFromSlackUser(user: SlackUserFacts & { id: string }): MemberProfile {
  return {
    slackId: user.id,
    teamId: user.team_id,
    deleted: user.deleted === true,
    restricted: user.is_restricted === true,
    ultraRestricted: user.is_ultra_restricted === true,
    bot: user.is_bot === true,
  };
}

/**
 * Slack no longer takes a users.list cursor it gave out (`invalid_cursor`): a listing saved across runs cannot
 * go on from there and must start again from its first page.
 */
export class ListingCursorRefused extends VpnChatopsError {
  constructor(message: string, cause: unknown) {
    super('SLACK_UNAVAILABLE', message, { cause });
    this.name = 'ListingCursorRefused';
  }
}
