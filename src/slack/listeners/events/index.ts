import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../../context';
import { appHomeOpened } from './app-home-opened';
import { dedupeEvents } from './dedupe';
import { reactionAdded } from './reaction-added';
import { userChange } from './user-change';

export function registerEvents(app: App, deps: ListenerDeps): void {
  app.use(dedupeEvents(deps));
  app.event('reaction_added', reactionAdded(deps));
  app.event('app_home_opened', appHomeOpened(deps));
  app.event('user_change', userChange(deps));
}
