import { Command, Option } from 'commander';
import { certificatesTable } from '../render';
import { Wiring, out } from '../io';

export function addListCommand(program: Command, wiring: Wiring): void {
  program
    .command('list')
    .description('list certificates')
    .option('--user <slackId>', 'only this member')
    .addOption(new Option('--status <status>').choices(['active', 'revoked', 'suspended', 'expired']))
    .option('--json', 'machine-readable output')
    .action(
      async (options: { user?: string; status?: 'active' | 'revoked' | 'suspended' | 'expired'; json?: boolean }) => {
        const now = new Date();
        const records = await wiring().withStores(async ({ certificates }) => {
          const all = options.user
            ? await certificates.byUser(options.user)
            : await certificates.list(options.status ? { status: options.status } : {});
          return options.user && options.status
            ? all.filter((r) => (r.notAfter <= now && r.status !== 'revoked' ? 'expired' : r.status) === options.status)
            : all;
        });
        out(
          options.json
            ? JSON.stringify(
                records.map(({ certPem: _pem, ...r }) => r),
                null,
                2,
              )
            : certificatesTable(records, now),
        );
      },
    );
}
