import type { Command } from 'commander';
import { auditSentenceNames } from '../../services/audit-names';
import { auditCsv } from '../../services/audit-export';
import { followAudit } from '../../services/audit-follow';
import { systemClock } from '../../ports';
import { auditTable } from '../render';
import { Wiring, out, usageError } from '../io';

const since = (text?: string) => {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw usageError(`"${text}" is not a date; use ISO form, e.g. 2026-11-01 or 2026-11-01T09:00:00Z.`);
  return date;
};

interface AuditOptions {
  since?: string;
  until?: string;
  actor?: string;
  target?: string;
  csv?: boolean;
  json?: boolean;
  follow?: boolean;
}

/** Until Ctrl-C or SIGTERM: the poll in flight finishes, the database is closed, and the exit code is 0. */
async function follow(wiring: Wiring, options: AuditOptions): Promise<void> {
  if (options.until !== undefined || options.csv || options.actor !== undefined || options.target !== undefined)
    throw usageError('--follow takes only --since (and prints JSON lines).');
  const start = since(options.since) ?? new Date();
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await wiring().withStores(({ audit }) =>
      followAudit(audit, { since: start, signal: stop.signal, clock: systemClock }, (entry) => {
        out(JSON.stringify(entry));
      }),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function addAuditCommand(program: Command, wiring: Wiring): void {
  program
    .command('audit')
    .description('the audit trail, oldest first, one sentence per entry (default: the last 30 days)')
    .option('--since <date>', 'ISO date or time')
    .option('--until <date>', 'ISO date or time')
    .option('--actor <id>', 'only this actor')
    .option('--target <id>', 'only this target')
    .option('--csv', 'CSV output')
    .option('--json', 'the raw entries, one JSON object a line')
    .option('--follow', 'print new entries as JSON lines as they are written, until Ctrl-C')
    .action(async (options: AuditOptions) => {
      if (options.follow) return follow(wiring, options);
      const [entries, names] = await wiring().withStores(({ audit, certificates }) =>
        Promise.all([
          audit.query({
            since: since(options.since),
            until: since(options.until),
            actor: options.actor,
            target: options.target,
          }),
          options.csv || options.json ? undefined : auditSentenceNames(certificates),
        ]),
      );
      if (options.csv) process.stdout.write(auditCsv(entries));
      else if (options.json) for (const entry of entries) out(JSON.stringify(entry));
      else out(auditTable(entries, names));
    });
}
