import { Command, InvalidArgumentError, Option } from 'commander';
import { VpnChatopsError } from '../../domain/errors';
import { REVOKING_REASONS, RevokingReason, parseRevokingReason } from '../../domain/revocation';
import { revocationReport } from '../render';
import { Wiring, actor, out, usageError } from '../io';

/** The listed choices, in any letter case; removeFromCRL is refused with why (a usage error, exit 2). */
function reasonArgument(text: string): RevokingReason {
  try {
    return parseRevokingReason(text);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof VpnChatopsError ? error.message : String(error));
  }
}

export function addRevokeCommand(program: Command, wiring: Wiring): void {
  program
    .command('revoke')
    .description('end access three ways: database gate, live sessions, CRL')
    .addOption(new Option('--user <slackId>', 'every certificate of this member').conflicts('serial'))
    .addOption(new Option('--serial <hex>', 'one certificate').conflicts('user'))
    .addOption(
      new Option('--reason <reason>', 'RFC 5280 reason')
        .choices(REVOKING_REASONS)
        .argParser(reasonArgument)
        .default('unspecified'),
    )
    .action(async (options: { user?: string; serial?: string; reason: RevokingReason }) => {
      if (!options.user && !options.serial) throw usageError('revoke needs --user <slackId> or --serial <hex>.');
      const target = options.user ? { slackId: options.user } : { serial: options.serial!.toUpperCase() };
      const report = await wiring().withAdmin((admin) =>
        admin.revoke({ target, reason: options.reason, actor: actor() }),
      );
      out(revocationReport(report));
      if (
        report.failed.length ||
        report.sessions.some((s) => s.error) ||
        report.crl.some((c) => c.outcome === 'failed')
      )
        process.exitCode = 1;
    });
}
