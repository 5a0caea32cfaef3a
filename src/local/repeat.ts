export interface DailySchedule {
  /** No further runs; resolves once a run in progress has finished, so its database is still there for it. */
  stop(): Promise<void>;
}

/**
 * `round` right after `firstMs`, then `everyMs` after each round ends, never two at once, for `npm start`'s
 * stand-ins of the AWS schedules. The timers are unref'd, so they never keep the process alive; `stop` waits
 * for a round under way, so its database is still there for it. `round` reports its own problems.
 */
export function repeatRounds(round: () => Promise<void>, options: { firstMs: number; everyMs: number }): DailySchedule {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  const start = () => {
    running = round().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(start, options.everyMs).unref();
    });
  };
  timer = setTimeout(start, options.firstMs).unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
