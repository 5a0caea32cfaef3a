import type { Clock, TimeReference } from '../ports';

/** The bot's own clock: Slack's signatures and AWS SigV4 allow 5 minutes, so 30 s off is a drift to fix, not a fault. */
export const CLOCK_SKEW_WARN_S = 30;
/**
 * An agent's clock: the lease holds while two agents' clocks differ by less than ~20 s
 * (adapters/dynamodb/endpoint-lease.ts), and each is measured against the reference on its own, so two agents
 * off in opposite directions add up: warn at half that gap.
 */
export const AGENT_CLOCK_SKEW_WARN_S = 10;
/** Slack refuses requests signed more than 5 minutes off, and so does AWS SigV4: fail well before that. */
export const CLOCK_SKEW_FAIL_S = 240;

/** How far `clock` runs ahead of the reference, in seconds (negative: behind). */
export async function clockSkewS(clock: Clock, time: TimeReference): Promise<number> {
  const before = clock.now().getTime();
  const remote = await time.now();
  const after = clock.now().getTime();
  // The remote Date header is truncated to the second: compare against the middle of that second.
  return ((before + after) / 2 - (remote.getTime() + 500)) / 1000;
}

/** "12 s ahead of" / "12 s behind", for a skew in seconds. */
export const skewText = (skewS: number) => `${Math.abs(skewS).toFixed(0)} s ${skewS > 0 ? 'ahead of' : 'behind'}`;
