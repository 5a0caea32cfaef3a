import type { WebClient } from '@slack/web-api';
import { VpnChatopsError, messageOf } from '../../domain/errors';
import { type MemberProfile, memberFromSlackUser } from '../../domain/member';
import type { MemberDirectory } from '../../ports';

/** Who is in the workspace, from Slack's users.info (Tier 4, `users:read`); the bot's team from auth.test, asked once. */
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
