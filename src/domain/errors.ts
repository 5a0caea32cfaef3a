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

export class VpnChatopsError extends Error {
  /** When the failure is a missing grant: the IAM action (`ec2:…`, `acm:…`, `dynamodb:…`) or Slack scope, so checks can name it. */
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
