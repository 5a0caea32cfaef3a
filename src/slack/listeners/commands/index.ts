import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../../context';
import { vpnCommand } from './vpn';

export function registerCommands(app: App, deps: ListenerDeps): void {
  app.command('/vpn', vpnCommand(deps));
}
