/**
 * Every refusal the product makes is one of these: a stable `code` for programs and tests,
 * and a message that says what went wrong and what to do about it.
 */
export type ErrorCode =
  | 'INVALID_CN_INPUT'
  | 'INVALID_CN'
  | 'INVALID_PEM'
  | 'WRONG_PASSPHRASE'
  | 'UNSUPPORTED_KEY'
  | 'KEY_MISMATCH'
  | 'INVALID_CA'
  | 'INVALID_CSR'
  | 'INVALID_CRL'
  | 'INVALID_REASON'
  | 'CRL_TOO_LARGE'
  | 'CRL_NUMBER'
  | 'INVALID_EASYRSA'
  | 'INVALID_PROFILE'
  | 'INVALID_CONFIG'
  | 'STATE'
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'ENDPOINT'
  | 'STORE_UNAVAILABLE'
  | 'SLACK_UNAVAILABLE';

/**
 * Whose to fix: `user`, a refusal of what a person asked for or typed (a second certificate for one device,
 * a bad CSR, someone else's certificate); `fault`, ours or a dependency's (a store down, an endpoint failing,
 * a broken configuration). Logs and alarms tell the two apart; every new code must say which it is.
 */
const KIND: Record<ErrorCode, 'user' | 'fault'> = {
  INVALID_CN_INPUT: 'user',
  INVALID_CN: 'fault',
  INVALID_PEM: 'user',
  WRONG_PASSPHRASE: 'user',
  UNSUPPORTED_KEY: 'user',
  KEY_MISMATCH: 'user',
  INVALID_CA: 'fault',
  INVALID_CSR: 'user',
  INVALID_CRL: 'fault',
  INVALID_REASON: 'user',
  CRL_TOO_LARGE: 'fault',
  CRL_NUMBER: 'fault',
  INVALID_EASYRSA: 'user',
  INVALID_PROFILE: 'fault',
  INVALID_CONFIG: 'fault',
  STATE: 'fault',
  CONFLICT: 'user',
  NOT_FOUND: 'user',
  FORBIDDEN: 'user',
  ENDPOINT: 'fault',
  STORE_UNAVAILABLE: 'fault',
  SLACK_UNAVAILABLE: 'fault',
};

export class VpnChatopsError extends Error {
  /**
   * When the failure is a missing grant: the IAM action (`ec2:…`, `acm:…`, `dynamodb:…`) or Slack scope, so checks can
   * name it.
   */
  readonly permission?: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; permission?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VpnChatopsError';
    if (options?.permission !== undefined) this.permission = options.permission;
  }
}

export const fail = (code: ErrorCode, message: string, cause?: unknown): never => {
  throw new VpnChatopsError(code, message, cause === undefined ? undefined : { cause });
};

/**
 * A person's mistake, refused with a message that tells them what to do: not a fault, and never an error-level log
 * line.
 */
export const isUserError = (error: unknown): error is VpnChatopsError =>
  error instanceof VpnChatopsError && KIND[error.code] === 'user';

/** An error's message for a report or a log line, whatever was thrown. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
