import type { WebClient } from '@slack/web-api';
import { VpnChatopsError, messageOf } from '../../domain/errors';
import { ListingCursorRefused, type MemberProfile, memberFromSlackUser } from '../../domain/member';
import type { MemberDirectory } from '../../ports';

/**
 * Who is in the workspace, from Slack's users.info (Tier 4) and users.list (Tier 2), both `users:read`; the bot's
 * team from auth.test, asked once.
 */
export class SlackMemberDirectory implements MemberDirectory {
  private homeTeam?: Promise<string>;

  constructor(private readonly client: WebClient) {}

  async member(slackId: string): Promise<MemberProfile> {
    let user: Parameters<typeof memberFromSlackUser>[0] | undefined;
    try {
      const answer = await this.client.users.info({ user: slackId });
      user = answer.user?.id ? { ...answer.user, id: answer.user.id } : undefined;
    } catch (error) {
      throw new VpnChatopsError('SLACK_UNAVAILABLE', `Slack's users.info for ${slackId} failed: ${messageOf(error)}.`, {
        cause: error,
      });
    }
    if (!user) throw new VpnChatopsError('SLACK_UNAVAILABLE', `Slack's users.info for ${slackId} returned no user.`);
    return memberFromSlackUser(user);
  }

  /** users.list is Tier 2: the caller paces the pages; the WebClient's retry config waits out a 429's Retry-After. */
  async page(request: { cursor?: string; limit: number }): Promise<{ members: MemberProfile[]; nextCursor?: string }> {
    try {
      const answer = await this.client.users.list({ limit: request.limit, cursor: request.cursor });
      return {
        members: (answer.members ?? []).flatMap((user) =>
          user.id ? [memberFromSlackUser({ ...user, id: user.id })] : [],
        ),
        // Slack ends the listing with an empty next_cursor.
        nextCursor: answer.response_metadata?.next_cursor || undefined,
      };
    } catch (error) {
      if ((error as { data?: { error?: string } }).data?.error === 'invalid_cursor')
        throw new ListingCursorRefused(`Slack's users.list refused the saved cursor: ${messageOf(error)}.`, error);
      throw new VpnChatopsError('SLACK_UNAVAILABLE', `Slack's users.list failed: ${messageOf(error)}.`, {
        cause: error,
      });
    }
  }

  team(): Promise<string> {
    this.homeTeam ??= this.client.auth.test().then(({ team_id }) => {
      if (!team_id) throw new VpnChatopsError('SLACK_UNAVAILABLE', "Slack's auth.test named no team.");
      return team_id;
    });
    // A failed lookup is forgotten, so the next run asks again.
    this.homeTeam.catch(() => (this.homeTeam = undefined));
    return this.homeTeam;
  }
}
