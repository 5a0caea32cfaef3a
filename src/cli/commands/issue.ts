import type { Command } from 'commander';
import { open, unlink } from 'node:fs/promises';
import { VpnChatopsError } from '../../domain/errors';
import { parseDuration } from '../../domain/duration';
import { rollBack } from '../../services/issue';
import { checkAccessHours } from '../../services/time-boxed';
import { Wiring, actor, out, readInput, usageError } from '../io';

interface IssueOptions {
  user: string;
  name: string;
  device?: string;
  csr?: string;
  for?: string;
  out: string;
}

export function addIssueCommand(program: Command, wiring: Wiring): void {
  program
    .command('issue')
    .description('issue a certificate and write a ready .ovpn profile (mode 0600)')
    .requiredOption('--user <slackId>', 'Slack member ID, e.g. U012ABCDEF')
    .requiredOption('--name <fullName>', 'display name, used in the CN')
    .option('--device <label>', 'device label, e.g. laptop')
    .option('--csr <file>', 'sign this CSR instead of generating a key')
    .option('--for <duration>', 'time-boxed access, e.g. 8h, 3d or 2w (at most MAX_ACCESS_HOURS); default CERT_DAYS')
    .requiredOption('--out <file.ovpn>', 'where to write the profile (must not exist)')
    .action(async (options: IssueOptions) => {
      const cli = wiring();
      const duration = options.for === undefined ? undefined : parseDuration(options.for);
      if (options.for !== undefined && !duration)
        throw usageError(`--for "${options.for}" is not a duration; use a whole number and h, d or w, e.g. --for 8h.`);
      if (!options.name.trim())
        throw usageError(
          '--name is empty; give the member\'s full name, e.g. --name "Jane Doe" (it goes into the CN).',
        );
      const csrPem = options.csr === undefined ? undefined : readInput(options.csr, '--csr');
      // Claim the output file first: a profile we could not write would leave a valid certificate nobody holds.
      const file = await open(options.out, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
        throw new VpnChatopsError(
          'STATE',
          `Cannot write ${options.out} (${error.code}): choose another --out; an existing file is never overwritten.`,
        );
      });
      try {
        const result = await cli.withAdmin(async (admin, { certificates }) => {
          const validHours = checkAccessHours(duration?.hours, admin.maxAccessHours);
          const issued = await admin.issue({
            slackId: options.user,
            displayName: options.name,
            device: options.device,
            csrPem,
            actor: actor(),
            validHours,
          });
          try {
            await file.writeFile(issued.profile);
          } catch (error) {
            await rollBack(
              certificates,
              issued.record,
              admin.clock,
              new VpnChatopsError('STATE', `Could not write ${options.out}: ${(error as Error).message}`),
            );
          }
          return issued;
        });
        await file.close();
        out(
          `✔ issued ${result.record.cn}, serial ${result.record.serial}, expires ${result.record.notAfter.toISOString()}`,
        );
        out(
          `✔ profile written to ${options.out} (mode 0600${csrPem ? '; it refers to your own key file' : '; it holds the private key: hand it to its owner only'})`,
        );
      } catch (error) {
        await file.close();
        await unlink(options.out);
        throw error;
      }
    });
}
