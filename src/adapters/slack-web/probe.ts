import { VpnChatopsError } from '../../domain/errors';
import type { SlackIdentity, SlackProbe, TimeReference } from '../../ports';

const SLACK_API = 'https://slack.com/api/';
/** Slack's answers that mean the token itself is no good: reinstalling the app is the fix. */
const TOKEN_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);

/**
 * auth.test over plain fetch rather than the WebClient: `doctor` needs the response headers (the
 * token's scopes in `x-oauth-scopes`, Slack's clock in `Date`), and one short attempt, not retries.
 */
export class SlackWebProbe implements SlackProbe, TimeReference {
  readonly source: string;
  private readonly base: string;

  constructor(private readonly options: { token: string; apiUrl?: string; timeoutMs?: number }) {
    this.base = options.apiUrl ?? SLACK_API;
    this.source = `Slack (${new URL(this.base).host})`;
  }

  async identity(): Promise<SlackIdentity> {
    const response = await this.post('auth.test');
    const body = (await response.json().catch(() => undefined)) as
      { ok?: boolean; error?: string; team?: string; user_id?: string } | undefined;
    if (!body?.ok) {
      const error = body?.error ?? `HTTP ${response.status}`;
      if (TOKEN_ERRORS.has(error)) {
        throw new VpnChatopsError(
          'INVALID_CONFIG',
          `Slack refused SLACK_BOT_TOKEN (${error}): reinstall the app to the workspace and set the new xoxb- token.`,
        );
      }
      throw new VpnChatopsError('SLACK_UNAVAILABLE', `Slack's auth.test failed (${error}); try again in a minute.`);
    }
    const header = response.headers.get('x-oauth-scopes');
    return {
      team: body.team ?? '?',
      botUserId: body.user_id ?? '?',
      scopes:
        header === null
          ? undefined
          : header
              .split(',')
              .map((scope) => scope.trim())
              .filter(Boolean),
    };
  }

  /** Slack's clock, from the `Date` header of a call that needs no token; HTTP dates have one-second resolution. */
  async now(): Promise<Date> {
    const response = await this.post('api.test');
    const date = new Date(response.headers.get('date') ?? '');
    if (Number.isNaN(date.getTime()))
      throw new VpnChatopsError('SLACK_UNAVAILABLE', `${this.source} sent no usable Date header.`);
    return date;
  }

  private async post(method: string): Promise<Response> {
    try {
      return await fetch(`${this.base}${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new VpnChatopsError(
        'SLACK_UNAVAILABLE',
        `Slack's API at ${this.base} is not reachable (${(error as Error).message}): check the network or SLACK_API_URL.`,
        { cause: error },
      );
    }
  }
}
