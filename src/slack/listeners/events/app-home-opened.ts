import type { Middleware, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../../context';

export const appHomeOpened =
  (deps: ListenerDeps): Middleware<SlackEventMiddlewareArgs<'app_home_opened'>> =>
  async ({ event }) => {
    if (event.tab !== 'home') return;
    await deps.jobs.enqueue({ type: 'home', userId: event.user });
  };
