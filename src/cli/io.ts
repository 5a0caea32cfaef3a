import { CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { CliWiring } from '../composition/cli';
import { VpnChatopsError } from '../domain/errors';

/** Built when a command runs, not when the program is: `--help` works without a valid configuration. */
export type Wiring = () => CliWiring;

export const actor = () => `vpnctl:${userInfo().username}`;
export const out = (text: string) => process.stdout.write(`${text}\n`);

/** Exit code 2, with the message after `error:`. */
export const usageError = (message: string) => new CommanderError(2, 'vpnctl.usage', message);

export function readInput(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new VpnChatopsError(
      'STATE',
      `Cannot read ${flag} ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was changed.`,
    );
  }
}
