import { describe, expect, it } from "vitest";
import { observedQuantities, planFormation, type FormationAction, type ObservedDyno } from "../../provider/formation-plan";

const dyno = (processType: string, index: number, over: Partial<ObservedDyno> = {}): ObservedDyno => ({
  id: `${processType}.${index}`,
  processType,
  index,
  release: "v1",
  size: "standard-1x",
  running: true,
  ...over,
});
const summary = (actions: FormationAction[]) =>
  actions.map((a) => (a.kind === "stop" ? `stop ${a.dyno.processType}.${a.dyno.index} (${a.reason})` : `start ${a.processType}.${a.index} ${a.size}`));

describe("planFormation", () => {
  it("starts web.1..N from nothing", () => {
    expect(summary(planFormation({ release: "v1", processes: { web: { quantity: 3, size: "standard-1x" } } }, []))).toEqual([
      "start web.1 standard-1x",
      "start web.2 standard-1x",
      "start web.3 standard-1x",
    ]);
  });

  it("does nothing when every dyno matches", () => {
    expect(planFormation({ release: "v1", processes: { web: { quantity: 2, size: "standard-1x" } } }, [dyno("web", 1), dyno("web", 2)])).toEqual([]);
  });

  it("scales up by adding the next numbers", () => {
    expect(summary(planFormation({ release: "v1", processes: { web: { quantity: 3, size: "standard-1x" } } }, [dyno("web", 1)]))).toEqual([
      "start web.2 standard-1x",
      "start web.3 standard-1x",
    ]);
  });

  it("scales down by stopping the highest numbers first", () => {
    const observed = [1, 2, 3, 4, 5].map((i) => dyno("web", i));
    expect(summary(planFormation({ release: "v1", processes: { web: { quantity: 2, size: "standard-1x" } } }, observed))).toEqual([
      "stop web.5 (scale-down)",
      "stop web.4 (scale-down)",
      "stop web.3 (scale-down)",
    ]);
  });

  it("keeps a process type at quantity 0 with no dynos", () => {
    expect(summary(planFormation({ release: "v1", processes: { web: { quantity: 0, size: "standard-1x" } } }, [dyno("web", 1)]))).toEqual(["stop web.1 (scale-down)"]);
  });

  it("replaces dynos of an old release, stopping every old one before any new one starts", () => {
    const actions = planFormation({ release: "v2", processes: { web: { quantity: 2, size: "standard-1x" } } }, [dyno("web", 1), dyno("web", 2)]);
    expect(summary(actions)).toEqual(["stop web.2 (outdated)", "stop web.1 (outdated)", "start web.1 standard-1x", "start web.2 standard-1x"]);
  });

  it("replaces only the process type whose size changed", () => {
    const actions = planFormation(
      { release: "v1", processes: { web: { quantity: 1, size: "standard-2x" }, worker: { quantity: 1, size: "standard-1x" } } },
      [dyno("web", 1), dyno("worker", 1)],
    );
    expect(summary(actions)).toEqual(["stop web.1 (outdated)", "start web.1 standard-2x"]);
  });

  it("restarts a dyno that is not running (stopped by hand) and fills a removed one", () => {
    const actions = planFormation({ release: "v1", processes: { web: { quantity: 3, size: "standard-1x" } } }, [dyno("web", 1, { running: false }), dyno("web", 3)]);
    expect(summary(actions)).toEqual(["stop web.1 (not-running)", "start web.1 standard-1x", "start web.2 standard-1x"]);
  });

  it("stops every dyno of a process type that left the formation", () => {
    const actions = planFormation({ release: "v1", processes: { web: { quantity: 1, size: "standard-1x" } } }, [dyno("web", 1), dyno("worker", 1), dyno("worker", 2)]);
    expect(summary(actions)).toEqual(["stop worker.2 (removed-type)", "stop worker.1 (removed-type)"]);
  });
});

describe("observedQuantities", () => {
  it("counts running dynos of the current release per type", () => {
    const q = observedQuantities([dyno("web", 1), dyno("web", 2, { running: false }), dyno("web", 3, { release: "v0" }), dyno("worker", 1)], "v1");
    expect(q).toEqual({ web: 1, worker: 1 });
  });
});
