import { VpnChatopsError } from '../../domain/errors';

/** At most `limit` accepted calls in any sliding `windowMs`, counted per channel when `perChannel`. */
export interface RateRule {
  limit: number;
  windowMs: number;
  perChannel: boolean;
}

const MINUTE = 60_000;
const perMinute = (limit: number): RateRule => ({ limit, windowMs: MINUTE, perChannel: false });
const TIER_2 = perMinute(20);
const TIER_3 = perMinute(50);
const TIER_4 = perMinute(100);

/**
 * Slack's published tiers (the floor of each: "50+ per minute" is 50) for the methods the stand-in
 * serves. chat.postMessage is special: about one message per second per channel, under a
 * workspace-wide ceiling Slack does not publish (several hundred a minute is the usual reading).
 */
export const SLACK_TIERS: Readonly<Record<string, readonly RateRule[]>> = {
  'chat.postMessage': [{ limit: 1, windowMs: 1_000, perChannel: true }, perMinute(300)],
  'chat.postEphemeral': [TIER_4],
  'chat.update': [TIER_3],
  'conversations.open': [TIER_3],
  'views.publish': [TIER_4],
  'views.open': [TIER_4],
  'views.update': [TIER_4],
  'users.info': [TIER_4],
  'users.list': [TIER_2],
  'usergroups.users.list': [TIER_2],
  'reactions.get': [TIER_3],
  'reactions.add': [TIER_3],
  'files.getUploadURLExternal': [TIER_4],
  'files.completeUploadExternal': [TIER_4],
};

/** The rules in force: the tiers when asked for, then explicit per-method limits on top. */
export function rateRules(options: {
  enforceRateLimits?: boolean;
  rateLimits?: Record<string, { perMinute: number }>;
}): Map<string, readonly RateRule[]> {
  const rules = new Map<string, readonly RateRule[]>(options.enforceRateLimits ? Object.entries(SLACK_TIERS) : []);
  for (const [method, limit] of Object.entries(options.rateLimits ?? {})) {
    if (!Number.isInteger(limit.perMinute) || limit.perMinute < 1) {
      throw new VpnChatopsError(
        'INVALID_CONFIG',
        `Slack stand-in rate limit for ${method} must be a whole number of calls per minute, at least 1; got ${limit.perMinute}.`,
      );
    }
    rules.set(method, [{ limit: limit.perMinute, windowMs: MINUTE, perChannel: method === 'chat.postMessage' }]);
  }
  return rules;
}

export class RateLimiter {
  /** Accept times (ms) per rule key, oldest first. */
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private readonly rules: ReadonlyMap<string, readonly RateRule[]>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Seconds the caller must wait (what Retry-After carries), or undefined when the call may go
   * ahead, in which case it counts against every window it falls in.
   */
  admit(method: string, channel: string | undefined): number | undefined {
    const rules = this.rules.get(method);
    if (!rules) return undefined;
    const now = this.now();
    const windows = rules.map((rule, index) => {
      const key = rule.perChannel ? `${method}#${index}#${channel ?? ''}` : `${method}#${index}`;
      const times = (this.accepted.get(key) ?? []).filter((at) => at > now - rule.windowMs);
      this.accepted.set(key, times);
      return { rule, times };
    });
    const waitMs = Math.max(
      0,
      ...windows
        .filter(({ rule, times }) => times.length >= rule.limit)
        .map(({ rule, times }) => times[times.length - rule.limit] + rule.windowMs - now),
    );
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    for (const { times } of windows) times.push(now);
    return undefined;
  }

  reset(): void {
    this.accepted.clear();
  }
}
