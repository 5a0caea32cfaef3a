export interface Rounds {
  /** No further rounds; resolves once a round in progress has finished, so what it uses is still there for it. */
  stop(): Promise<void>;
}

/**
 * `round` after `firstMs`, then `everyMs` after each round ends, never two at once: the agent's loops and
 * `npm start`'s stand-ins of the AWS schedules. `stop` waits for a round under way. The timers hold the process
 * open only with `keepsProcessAlive` (the agent, whose loops are its work); `npm start`'s never keep it alive.
 * `round` reports its own problems.
 */
export function repeatRounds(
  round: () => Promise<void>,
  options: { firstMs: number; everyMs: number; keepsProcessAlive?: boolean },
): Rounds {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  const after = (ms: number) => {
    const next = setTimeout(start, ms);
    return options.keepsProcessAlive ? next : next.unref();
  };
  const start = () => {
    running = round().finally(() => {
      running = undefined;
      if (!stopped) timer = after(options.everyMs);
    });
  };
  timer = after(options.firstMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
