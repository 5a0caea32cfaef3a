import type { Command } from 'commander';
import { crlStatusTable, publishLine } from '../render';
import { Wiring, actor, out } from '../io';

export function addCrlCommands(program: Command, wiring: Wiring): void {
  const crl = program.command('crl').description('certificate revocation lists');
  crl
    .command('publish')
    .description('build a CRL from the database and import it on every endpoint now')
    .action(async () => {
      const outcomes = await wiring().withAdmin((admin) => admin.publishAll(actor()));
      out(outcomes.length ? outcomes.map(publishLine).join('\n') : 'No VPN endpoints configured (VPN_ENDPOINTS).');
      if (outcomes.some((o) => o.outcome === 'failed')) process.exitCode = 1;
    });

  crl
    .command('status')
    .description("each endpoint's live CRL: number, nextUpdate, days left, entries, drift")
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const statuses = await wiring().withAdmin((admin) => admin.crlStatuses());
      out(options.json ? JSON.stringify(statuses, null, 2) : crlStatusTable(statuses));
      if (statuses.some((s) => s.health === 'fail')) process.exitCode = 1;
    });
}
