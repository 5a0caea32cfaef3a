import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../context';
import { registerActions } from './actions/index';
import { registerCommands } from './commands/index';
import { registerEvents } from './events/index';
import { registerViews } from './views/index';

/** Every listener the bot has, by surface. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  registerEvents(app, deps);
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
}
