import type { Middleware, SlackEventMiddlewareArgs } from '@slack/bolt';
import { memberFromSlackUser } from '../../../domain/member';
import type { ListenerDeps } from '../../context';

/**
 * Slack sends user_change for every profile edit. Only one that may mean the person left (deactivated,
 * or now a guest) goes to the worker, which decides against OFFBOARDING and revokes; the rest are
 * dropped here, so a workspace's status and avatar churn costs no worker invocation.
 */
export const userChange =
  (deps: ListenerDeps): Middleware<SlackEventMiddlewareArgs<'user_change'>> =>
  async ({ event, body }) => {
    if (typeof event.user?.id !== 'string') return;
    const member = memberFromSlackUser(event.user);
    if (member.bot || !(member.deleted || member.restricted || member.ultraRestricted)) return;
    await deps.jobs.enqueue({ type: 'offboard', member, teamId: body.team_id });
  };
