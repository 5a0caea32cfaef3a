/** How AWS SDK v3 errors are told apart, shared by the adapters that retry and explain them. */

export const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
]);
const TRANSIENT_CODES = new Set(['ServiceUnavailable', 'ServiceUnavailableException', 'InternalError']);
const RETRYABLE_STATUSES = new Set([429, 503]);
export const DENIED_CODES = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);
export const RESOURCE_NOT_FOUND_CODES = new Set(['ResourceNotFoundException']);

/** SDK v3 puts the AWS error code in `name`; some errors (and other clients) also carry `code` or `Code`. */
export function awsError(error: unknown): { codes: string[]; message: string } {
  if (typeof error !== 'object' || error === null) return { codes: [], message: String(error) };
  const fields = error as { Code?: unknown; code?: unknown; name?: unknown; message?: unknown };
  const codes = [fields.Code, fields.code, fields.name].filter(
    (code): code is string => typeof code === 'string' && code !== '',
  );
  return { codes, message: typeof fields.message === 'string' ? fields.message : String(error) };
}

export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

export const hasCode = (error: unknown, codes: Set<string>) => awsError(error).codes.some((code) => codes.has(code));

export const isThrottled = (error: unknown) => hasCode(error, THROTTLING_CODES) || httpStatus(error) === 429;

export function isRetryable(error: unknown): boolean {
  const status = httpStatus(error);
  return (
    hasCode(error, THROTTLING_CODES) ||
    hasCode(error, TRANSIENT_CODES) ||
    (status !== undefined && RETRYABLE_STATUSES.has(status))
  );
}

/**
 * Exponential backoff with "equal jitter": half the window is fixed, half random. Callers that were
 * throttled together spread apart, and each wait is still longer than the one before.
 */
export function backoffMs(baseDelayMs: number, attempt: number): number {
  const window = baseDelayMs * 2 ** attempt;
  return Math.floor(window / 2 + (Math.random() * window) / 2);
}
