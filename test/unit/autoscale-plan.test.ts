import { describe, expect, it } from "vitest";
import {
  AUTOSCALE_PACING,
  afterDecision,
  autoscaleWindows,
  maxReachedNotice,
  minuteMs,
  planAutoscale,
  type AutoscaleState,
  type AutoscaleStats,
} from "../../provider/dyno-manager/autoscale-plan";

const policy = { min: 1, max: 4, p95TargetMs: 300 };
const MIN = 60_000;
const NOW = 1_000 * MIN;
const slow: AutoscaleStats = { requests: 500, p95Ms: 900 };
const fast: AutoscaleStats = { requests: 500, p95Ms: 80 };
const quiet: AutoscaleStats = { requests: 0 };
const plan = (state: AutoscaleState, q: number, recent: AutoscaleStats, calm = recent, scale = 1, p = policy) =>
  planAutoscale(state, q, recent, calm, p, NOW, scale);

describe("planAutoscale (Heroku's pacing)", () => {
  it("adds one dyno when the p95 since the last event is over the target", () => {
    expect(plan({}, 1, slow)).toMatchObject({ action: "up", quantity: 2 });
    expect(plan({ lastEventMs: NOW - 2 * MIN }, 3, slow)).toMatchObject({ action: "up", quantity: 4 });
  });

  it("waits at least a minute between events, in either direction", () => {
    expect(plan({ lastEventMs: NOW - 59_000 }, 1, slow).action).toBe("none");
    expect(plan({ lastEventMs: NOW - MIN }, 1, slow).action).toBe("up");
    expect(plan({ lastEventMs: NOW - 30_000 }, 5, quiet).action).toBe("none");
  });

  it("does not add a dyno on too few requests", () => {
    expect(plan({}, 1, { requests: AUTOSCALE_PACING.minRequests - 1, p95Ms: 5000 }).action).toBe("none");
    expect(plan({}, 1, { requests: AUTOSCALE_PACING.minRequests, p95Ms: 5000 }).action).toBe("up");
  });

  it("never goes over max: at the maximum it sends a notice, at most once a day", () => {
    const d = plan({}, 4, slow);
    expect(d).toMatchObject({ action: "none", notice: "max-reached" });
    expect(plan({ lastMaxNoticeMs: NOW - 23 * 60 * MIN }, 4, slow)).not.toHaveProperty("notice");
    expect(plan({ lastMaxNoticeMs: NOW - 24 * 60 * MIN }, 4, slow)).toMatchObject({ notice: "max-reached" });
    expect(afterDecision({}, d, NOW)).toEqual({ lastMaxNoticeMs: NOW });
  });

  it("scales down only after a calm period longer than the up pacing", () => {
    const calmEnough = AUTOSCALE_PACING.scaleDownAfterMinutes * MIN;
    expect(calmEnough).toBeGreaterThan(AUTOSCALE_PACING.eventGapMinutes * MIN);
    expect(plan({ lastEventMs: NOW - calmEnough + 1 }, 3, quiet).action).toBe("none");
    expect(plan({ lastEventMs: NOW - calmEnough }, 3, quiet)).toMatchObject({ action: "down", quantity: 2 });
    expect(plan({}, 3, fast)).toMatchObject({ action: "down", quantity: 2 });
  });

  it("does not scale down while the p95 is near the target (hysteresis against flapping)", () => {
    const near = { requests: 500, p95Ms: policy.p95TargetMs * 0.8 };
    expect(plan({}, 3, near).action).toBe("none");
  });

  it("never goes under min, and min is at least 1", () => {
    expect(plan({}, 1, quiet).action).toBe("none");
    expect(plan({}, 2, quiet, quiet, 1, { ...policy, min: 2 }).action).toBe("none");
    expect(plan({}, 1, quiet, quiet, 1, { ...policy, min: 0 }).action).toBe("none");
  });

  it("steps back into a range the quantity is outside of, one dyno per event", () => {
    expect(plan({}, 0, quiet)).toMatchObject({ action: "up", quantity: 1 });
    expect(plan({}, 7, slow)).toMatchObject({ action: "down", quantity: 6 });
    expect(plan({ lastEventMs: NOW - 10_000 }, 7, slow).action).toBe("none");
  });

  it("runs on the time scale: at 60 a minute is a second", () => {
    expect(minuteMs(60)).toBe(1000);
    expect(plan({ lastEventMs: NOW - 999 }, 1, slow, slow, 60).action).toBe("none");
    expect(plan({ lastEventMs: NOW - 1000 }, 1, slow, slow, 60).action).toBe("up");
    expect(plan({ lastEventMs: NOW - 5000 }, 2, quiet, quiet, 60).action).toBe("down");
  });

  it("records the event time after an event", () => {
    expect(afterDecision({ lastMaxNoticeMs: 5 }, { action: "up", quantity: 2, reason: "" }, NOW)).toEqual({
      lastMaxNoticeMs: 5,
      lastEventMs: NOW,
    });
    expect(afterDecision({}, { action: "none", reason: "" }, NOW)).toEqual({});
  });

  it("reads the past hour since the last event, and the calm period before now", () => {
    expect(autoscaleWindows({}, NOW, 1)).toEqual({ upFromMs: NOW - 60 * MIN, downFromMs: NOW - 5 * MIN });
    expect(autoscaleWindows({ lastEventMs: NOW - 2 * MIN }, NOW, 1).upFromMs).toBe(NOW - 2 * MIN);
    expect(autoscaleWindows({ lastEventMs: NOW - 2 * 60 * MIN }, NOW, 1).upFromMs).toBe(NOW - 60 * MIN);
    expect(autoscaleWindows({}, NOW, 60)).toEqual({ upFromMs: NOW - 60_000, downFromMs: NOW - 5000 });
  });

  it("says what to do in the notice", () => {
    expect(maxReachedNotice("web", policy, 912.4)).toMatch(
      /maximum of 4 web dynos; p95 912 ms .* target 300 ms\. Fix: raise autoscaling\.max/,
    );
  });
});
