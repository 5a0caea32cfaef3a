import type { Command } from 'commander';
import { auditCsv } from '../../services/audit-export';
import { auditTable } from '../render';
import { Wiring, out, usageError } from '../io';

const since = (text?: string) => {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw usageError(`"${text}" is not a date; use ISO form, e.g. 2026-11-01 or 2026-11-01T09:00:00Z.`);
  return date;
};

export function addAuditCommand(program: Command, wiring: Wiring): void {
  program
    .command('audit')
    .description('the audit trail, oldest first (default: the last 30 days)')
    .option('--since <date>', 'ISO date or time')
    .option('--until <date>', 'ISO date or time')
    .option('--actor <id>', 'only this actor')
    .option('--target <id>', 'only this target')
    .option('--csv', 'CSV output')
    .action(async (options: { since?: string; until?: string; actor?: string; target?: string; csv?: boolean }) => {
      const entries = await wiring().withStores(({ audit }) =>
        audit.query({
          since: since(options.since),
          until: since(options.until),
          actor: options.actor,
          target: options.target,
        }),
      );
      if (options.csv) process.stdout.write(auditCsv(entries));
      else out(auditTable(entries));
    });
}
