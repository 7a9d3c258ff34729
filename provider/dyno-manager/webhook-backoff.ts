/**
 * When a failed alert webhook is tried again: exponential back-off from `baseMs`, doubled per
 * attempt up to `capMs`, with up to 20% jitter (so many alerts of one outage do not retry in
 * step), given up after `maxAttempts`. Pure; the time scale divides every delay, as it does the
 * alert windows.
 */

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
}

/** 2 s, 4 s, 8 s … 10 min, 12 attempts: about 40 minutes of trying before giving up. */
export const WEBHOOK_BACKOFF: BackoffPolicy = { baseMs: 2_000, capMs: 600_000, maxAttempts: 12 };

/**
 * The wait after the `attempt`-th failed attempt (1-based), or undefined when that was the last.
 * `random` in [0, 1) picks the jitter (tests pass a constant).
 */
export function retryDelayMs(attempt: number, timeScale = 1, random = Math.random(), policy = WEBHOOK_BACKOFF): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const plain = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round((plain * (1 + 0.2 * random)) / Math.max(timeScale, 1e-9));
}
