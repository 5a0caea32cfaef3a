/** One structured line per error on stderr (CloudWatch on Lambda, the terminal locally). Never pass key material. */
export function logError(message: string, error?: unknown): void {
  console.error(JSON.stringify({ level: 'error', message, error: error instanceof Error ? error.message : error }));
}

/** Something refused or skipped that needs no one's attention now; kept apart from errors, which raise alarms. */
export function logWarning(message: string): void {
  console.warn(JSON.stringify({ level: 'warn', message }));
}
