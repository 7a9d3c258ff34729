/**
 * When a crashed dyno is started again, following Heroku's Common Runtime: the first crash
 * restarts at once, then cool-offs of 20, 40, 60, 180 and 320 minutes, then every 320 minutes.
 * A good start (the dyno ran for a while) resets the count. Spaces restart continuously.
 */
export const COOL_OFF_MINUTES = [0, 20, 40, 60, 180, 320] as const;

/** A dyno that ran this long before crashing had a good start. */
export const GOOD_START_MS = 10 * 60 * 1000;

export interface CrashHistory {
  /** Crashes since the last good start. */
  crashes: number;
}

/**
 * Delay before restarting a dyno that just crashed after running `ranForMs`, and the history to
 * keep. `scale` shrinks the minutes (tests use a tiny one; 1 is Heroku's real schedule).
 */
export function nextRestart(history: CrashHistory, ranForMs: number, opts: { inSpace?: boolean; scale?: number } = {}): { delayMs: number; history: CrashHistory } {
  const crashes = ranForMs >= GOOD_START_MS ? 1 : history.crashes + 1;
  if (opts.inSpace) return { delayMs: 0, history: { crashes } };
  const minutes = COOL_OFF_MINUTES[Math.min(crashes - 1, COOL_OFF_MINUTES.length - 1)];
  return { delayMs: minutes * 60_000 * (opts.scale ?? 1), history: { crashes } };
}
