import type { Command } from 'commander';
import { doctorReport } from '../render';
import { Wiring, out } from '../io';

export function addDoctorCommand(program: Command, wiring: Wiring): void {
  program
    .command('doctor')
    .description('check everything that can lock people out, one line each with the fix (exit 1 when any check fails)')
    .action(async () => {
      const checks = await wiring().diagnose();
      out(doctorReport(checks));
      if (checks.some((check) => check.status === 'fail')) process.exitCode = 1;
    });
}
