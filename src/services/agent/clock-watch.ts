import { messageOf } from '../../domain/errors';
import type { AgentLog, Clock, TimeReference } from '../../ports';
import { AGENT_CLOCK_SKEW_WARN_S, clockSkewS, skewText } from '../clock-skew';

export interface ClockWatchDeps {
  clock: Clock;
  time: TimeReference;
  log: AgentLog;
}

/** The last measurement, for the heartbeat, and whether the log has said the clock is off or cannot be measured. */
export interface ClockWatchMemory {
  skewS?: number;
  skewed: boolean;
  unmeasured: boolean;
}

export const newClockWatchMemory = (): ClockWatchMemory => ({ skewed: false, unmeasured: false });

/**
 * Measures the host's clock against the reference, for the heartbeat (the bot alerts on it). The log says
 * once when the skew passes the threshold and once when it is back, not every hour in between. A measurement
 * that fails forgets the last one: a skew repeated for hours would tell the bot about a clock nobody measures.
 * The log says that once, until a measurement succeeds again.
 */
export async function measureClock(deps: ClockWatchDeps, memory: ClockWatchMemory): Promise<number | undefined> {
  let skewS: number;
  try {
    skewS = await clockSkewS(deps.clock, deps.time);
  } catch (error) {
    if (!memory.unmeasured)
      deps.log.warn(
        `could not measure this host's clock against ${deps.time.source}: ${messageOf(error)}; the heartbeat carries ` +
          'no clock skew until it can',
      );
    delete memory.skewS;
    memory.unmeasured = true;
    return undefined;
  }
  memory.unmeasured = false;
  const skewed = Math.abs(skewS) >= AGENT_CLOCK_SKEW_WARN_S;
  if (skewed && !memory.skewed)
    deps.log.warn(
      `this host's clock is ${skewText(skewS)} ${deps.time.source}: the endpoint lease relies on the agents' clocks ` +
        `agreeing, and the bot warns at ${AGENT_CLOCK_SKEW_WARN_S} s; turn on time synchronisation (\`timedatectl set-ntp true\`)`,
    );
  if (!skewed && memory.skewed)
    deps.log.info(`this host's clock is back within ${AGENT_CLOCK_SKEW_WARN_S} s of ${deps.time.source}`);
  memory.skewS = skewS;
  memory.skewed = skewed;
  return skewS;
}
