import { describe, expect, it } from "vitest";
import { keepRestartCount, restartOutcome, restartSpec } from "../../provider/engine/swarm-restart-plan";

const spec = {
  Name: "shop-web",
  TaskTemplate: { ContainerSpec: { Image: "img" } },
  UpdateConfig: { Parallelism: 0, Order: "stop-first", FailureAction: "pause" },
};

describe("a restart on a Swarm", () => {
  it("bumps the restart counter and rolls web dynos one at a time, each new one up before the old one stops", () => {
    const r = restartSpec(spec, "web");
    expect(r.TaskTemplate).toEqual({ ContainerSpec: { Image: "img" }, ForceUpdate: 1 });
    expect(r.UpdateConfig).toEqual({ Parallelism: 1, Order: "start-first", FailureAction: "pause" });
    expect(restartSpec(r, "web").TaskTemplate.ForceUpdate).toBe(2);
  });

  it("restarts other process types all at once, stop-first", () => {
    expect(restartSpec(spec, "worker").UpdateConfig).toEqual({ Parallelism: 0, Order: "stop-first", FailureAction: "pause" });
  });

  it("keeps the counter in the next up's spec, so a quantity change restarts nothing", () => {
    expect(keepRestartCount(spec, { ForceUpdate: 3 }).TaskTemplate).toEqual({ ContainerSpec: { Image: "img" }, ForceUpdate: 3 });
    expect(keepRestartCount(spec, {})).toBe(spec);
  });

  it("reads Swarm's update state: done, going, or why it stopped", () => {
    expect(restartOutcome({ State: "completed" })).toBe("done");
    expect(restartOutcome({ State: "updating" })).toBe("going");
    expect(restartOutcome({ State: "paused", Message: "update paused due to failure" })).toEqual({
      error: "the update paused: update paused due to failure",
    });
    expect(restartOutcome({ State: "rollback_completed" })).toEqual({ error: "the update rollback completed" });
  });
});
