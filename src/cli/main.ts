import { Command, CommanderError } from 'commander';
import { cliWiring } from '../composition/cli';
import { loadConfig } from '../config';
import { VpnChatopsError } from '../domain/errors';
import { addAgentCommand } from './commands/agent';
import { addAuditCommand } from './commands/audit';
import { addCaCommands } from './commands/ca';
import { addCrlCommands } from './commands/crl';
import { addDailyCommand } from './commands/daily';
import { addDoctorCommand } from './commands/doctor';
import { addEndpointCommands } from './commands/endpoint';
import { addIssueCommand } from './commands/issue';
import { addListCommand } from './commands/list';
import { addLogsCommand } from './commands/logs';
import { addRevokeCommand } from './commands/revoke';
import type { Wiring } from './io';
import { packageVersion } from '../version';

// Node 20 is supported until the SDK drops it; the warning would otherwise precede every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function buildProgram(wiring: Wiring): Command {
  const program = new Command('vpnctl')
    .description('Break-glass and migration CLI for vpn-chatops: same configuration and store as the bot.')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  // In this order in --help.
  addCaCommands(program, wiring);
  addIssueCommand(program, wiring);
  addRevokeCommand(program, wiring);
  addListCommand(program, wiring);
  addCrlCommands(program, wiring);
  addDailyCommand(program, wiring);
  addAuditCommand(program, wiring);
  addLogsCommand(program, wiring);
  addDoctorCommand(program, wiring);
  addAgentCommand(program, wiring);
  addEndpointCommands(program, wiring);
  return program;
}

/** Exit codes: 0 success, 1 refused or failed (message on stderr), 2 usage. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(() => cliWiring(loadConfig()));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      if (error.code === 'vpnctl.usage') process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `✖ ${error instanceof VpnChatopsError ? error.message : `Unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`}\n`,
    );
    return 1;
  }
}
