import { VpnChatopsError, isUserError } from './domain/errors';

/**
 * One structured line per failure (CloudWatch on Lambda, the terminal locally). A person's mistake (a
 * refused duplicate, a bad CSR) is a `warn` line with its code; only faults are `error` lines, so what
 * alarms and on-call count as errors are ours to fix. Never pass key material.
 */
export function logError(message: string, error?: unknown): void {
  const code = error instanceof VpnChatopsError ? { code: error.code } : {};
  const detail = error instanceof Error ? error.message : error;
  if (isUserError(error)) console.warn(JSON.stringify({ level: 'warn', message, ...code, error: detail }));
  else console.error(JSON.stringify({ level: 'error', message, ...code, error: detail }));
}

/** Something refused or skipped that needs no one's attention now; kept apart from errors, which raise alarms. */
export function logWarning(message: string): void {
  console.warn(JSON.stringify({ level: 'warn', message }));
}
