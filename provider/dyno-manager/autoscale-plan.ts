/**
 * Web autoscaling, the pure part: from the app's recent requests and its last scaling event,
 * whether the dyno manager adds a web dyno, removes one, or waits. Heroku's pacing (heroku-facts
 * §2): one dyno per event, events at least a minute apart, scaling down more slowly than up,
 * never below `min` (≥ 1) nor above `max`, a notice (at most daily) when the maximum is reached.
 *
 * Heroku judges the p95 "over the past hour"; a quantity change makes the old requests say
 * nothing about the new quantity, so the window is the past hour since the last event. Scaling
 * down asks for calm: no event for a few minutes, and a p95 well under the target over them.
 * Time is in Heroku minutes: `60_000 / timeScale` ms (tests run with a minute a second).
 */

/** An app's autoscaling as the program declares it (Formation `processes.web.autoscaling`). */
export interface AutoscalePolicy {
  min: number;
  max: number;
  /** The desired p95 response time (`service=` of the router's lines), WebSockets left out. */
  p95TargetMs: number;
}

/** What the manager remembers per app across its restarts (on its volume). */
export interface AutoscaleState {
  /** When the quantity last changed by autoscaling (ms since the epoch). */
  lastEventMs?: number;
  /** When the "maximum reached" notice last went out. */
  lastMaxNoticeMs?: number;
}

/** The requests a decision looks at (request-window.ts's WindowStats, the part used here). */
export interface AutoscaleStats {
  requests: number;
  p95Ms?: number;
}

/** Heroku's pacing, in Heroku minutes. */
export const AUTOSCALE_PACING = {
  /** Between two events, whichever direction. */
  eventGapMinutes: 1,
  /** Calm needed before a dyno is removed: no event, and the p95 well under the target. */
  scaleDownAfterMinutes: 5,
  /** "Well under": the p95 of the calm period under this share of the target. */
  scaleDownBelowShare: 0.5,
  /** How far back the p95 looks at most. */
  windowMinutes: 60,
  /** Fewer requests than this since the last event say too little to add a dyno. */
  minRequests: 20,
  /** The notice at the maximum goes out at most this often. */
  maxNoticeEveryMinutes: 24 * 60,
} as const;

export type AutoscaleDecision =
  | { action: "up" | "down"; quantity: number; reason: string }
  | { action: "none"; reason: string; notice?: "max-reached" };

/** A Heroku minute in real milliseconds at this time scale. */
export const minuteMs = (timeScale: number): number => 60_000 / (timeScale > 0 ? timeScale : 1);

/** The windows a decision reads: since the last event (the past hour at most), and the calm period. */
export function autoscaleWindows(state: AutoscaleState, nowMs: number, timeScale: number): { upFromMs: number; downFromMs: number } {
  const minute = minuteMs(timeScale);
  const hourAgo = nowMs - AUTOSCALE_PACING.windowMinutes * minute;
  return {
    upFromMs: Math.max(hourAgo, state.lastEventMs ?? hourAgo),
    downFromMs: nowMs - AUTOSCALE_PACING.scaleDownAfterMinutes * minute,
  };
}

/**
 * The next step for one app's web process type.
 * @param quantity web dynos that run now
 * @param recent requests since the last event (at most the past hour): `autoscaleWindows().upFromMs`
 * @param calm requests of the scale-down period: `autoscaleWindows().downFromMs`
 */
export function planAutoscale(
  state: AutoscaleState,
  quantity: number,
  recent: AutoscaleStats,
  calm: AutoscaleStats,
  policy: AutoscalePolicy,
  nowMs: number,
  timeScale: number,
): AutoscaleDecision {
  const minute = minuteMs(timeScale);
  const min = Math.max(1, policy.min);
  const max = Math.max(min, policy.max);
  const sinceEvent = state.lastEventMs === undefined ? Number.POSITIVE_INFINITY : nowMs - state.lastEventMs;
  if (sinceEvent < AUTOSCALE_PACING.eventGapMinutes * minute) return { action: "none", reason: "less than a minute since the last event" };
  // Out of the range (a dyno removed by hand, a range changed while `up` did not run): one step back in.
  if (quantity < min) return { action: "up", quantity: quantity + 1, reason: `${quantity} web dyno(s), under the minimum ${min}` };
  if (quantity > max) return { action: "down", quantity: quantity - 1, reason: `${quantity} web dynos, over the maximum ${max}` };
  const slow = recent.p95Ms !== undefined && recent.p95Ms > policy.p95TargetMs && recent.requests >= AUTOSCALE_PACING.minRequests;
  if (slow) {
    const why = `p95 ${Math.round(recent.p95Ms ?? 0)} ms over the target ${policy.p95TargetMs} ms (${recent.requests} requests)`;
    if (quantity < max) return { action: "up", quantity: quantity + 1, reason: why };
    const noticeDue =
      state.lastMaxNoticeMs === undefined || nowMs - state.lastMaxNoticeMs >= AUTOSCALE_PACING.maxNoticeEveryMinutes * minute;
    return { action: "none", reason: `${why}, at the maximum ${max}`, ...(noticeDue ? { notice: "max-reached" as const } : {}) };
  }
  if (quantity > min && sinceEvent >= AUTOSCALE_PACING.scaleDownAfterMinutes * minute) {
    const quiet = calm.p95Ms === undefined || calm.p95Ms < policy.p95TargetMs * AUTOSCALE_PACING.scaleDownBelowShare;
    if (quiet) {
      const why =
        calm.p95Ms === undefined
          ? `no request for ${AUTOSCALE_PACING.scaleDownAfterMinutes} minutes`
          : `p95 ${Math.round(calm.p95Ms)} ms well under the target ${policy.p95TargetMs} ms for ${AUTOSCALE_PACING.scaleDownAfterMinutes} minutes`;
      return { action: "down", quantity: quantity - 1, reason: why };
    }
  }
  return { action: "none", reason: "within the target" };
}

/** The state after a decision was carried out (or tried: a failed event paces the next one too). */
export function afterDecision(state: AutoscaleState, decision: AutoscaleDecision, nowMs: number): AutoscaleState {
  if (decision.action !== "none") return { ...state, lastEventMs: nowMs };
  if (decision.notice === "max-reached") return { ...state, lastMaxNoticeMs: nowMs };
  return state;
}

/** The notice's line, for the app's log (and the alert webhook, see autoscale-controller.ts). */
export function maxReachedNotice(processType: string, policy: AutoscalePolicy, p95Ms: number | undefined): string {
  return `Autoscaling reached its maximum of ${policy.max} ${processType} dynos; p95 ${p95Ms === undefined ? "unknown" : `${Math.round(p95Ms)} ms`} is still over the target ${policy.p95TargetMs} ms. Fix: raise autoscaling.max, or use a larger size`;
}
