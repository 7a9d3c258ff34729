import { describe, expect, it } from "vitest";
import {
  observedQuantities,
  planFormation,
  planPreboot,
  type FormationAction,
  type ObservedDyno,
} from "../../provider/formations/formation-plan";
import { processesChanged, quantityToRun, runningQuantity } from "../../provider/formations/formation-plan";

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
  actions.map((a) =>
    a.kind === "stop" ? `stop ${a.dyno.processType}.${a.dyno.index} (${a.reason})` : `start ${a.processType}.${a.index} ${a.size}`,
  );

describe("planFormation", () => {
  it("starts web.1..N from nothing", () => {
    expect(summary(planFormation({ release: "v1", processes: { web: { quantity: 3, size: "standard-1x" } } }, []))).toEqual([
      "start web.1 standard-1x",
      "start web.2 standard-1x",
      "start web.3 standard-1x",
    ]);
  });

  it("does nothing when every dyno matches", () => {
    expect(
      planFormation({ release: "v1", processes: { web: { quantity: 2, size: "standard-1x" } } }, [dyno("web", 1), dyno("web", 2)]),
    ).toEqual([]);
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
    expect(summary(planFormation({ release: "v1", processes: { web: { quantity: 0, size: "standard-1x" } } }, [dyno("web", 1)]))).toEqual([
      "stop web.1 (scale-down)",
    ]);
  });

  it("replaces dynos of an old release, stopping every old one before any new one starts", () => {
    const actions = planFormation({ release: "v2", processes: { web: { quantity: 2, size: "standard-1x" } } }, [
      dyno("web", 1),
      dyno("web", 2),
    ]);
    expect(summary(actions)).toEqual([
      "stop web.2 (outdated)",
      "stop web.1 (outdated)",
      "start web.1 standard-1x",
      "start web.2 standard-1x",
    ]);
  });

  it("replaces only the process type whose size changed", () => {
    const actions = planFormation(
      { release: "v1", processes: { web: { quantity: 1, size: "standard-2x" }, worker: { quantity: 1, size: "standard-1x" } } },
      [dyno("web", 1), dyno("worker", 1)],
    );
    expect(summary(actions)).toEqual(["stop web.1 (outdated)", "start web.1 standard-2x"]);
  });

  it("restarts a dyno that is not running (stopped by hand) and fills a removed one", () => {
    const actions = planFormation({ release: "v1", processes: { web: { quantity: 3, size: "standard-1x" } } }, [
      dyno("web", 1, { running: false }),
      dyno("web", 3),
    ]);
    expect(summary(actions)).toEqual(["stop web.1 (not-running)", "start web.1 standard-1x", "start web.2 standard-1x"]);
  });

  it("stops every dyno of a process type that left the formation", () => {
    const actions = planFormation({ release: "v1", processes: { web: { quantity: 1, size: "standard-1x" } } }, [
      dyno("web", 1),
      dyno("worker", 1),
      dyno("worker", 2),
    ]);
    expect(summary(actions)).toEqual(["stop worker.2 (removed-type)", "stop worker.1 (removed-type)"]);
  });
});

describe("observedQuantities", () => {
  it("counts the dynos of the current release per type, crashed and asleep ones included", () => {
    const q = observedQuantities(
      [dyno("web", 1), dyno("web", 2, { running: false }), dyno("web", 3, { release: "v0" }), dyno("worker", 1)],
      "v1",
    );
    expect(q).toEqual({ web: 2, worker: 1 });
  });

  it("counts the dynos a rollback swapped to a newer release: the App's release drifted, not the quantity", () => {
    const q = observedQuantities([dyno("web", 1, { release: "v3" }), dyno("web", 2, { release: "v3" }), dyno("worker", 1)], "v2");
    expect(q).toEqual({ web: 2, worker: 0 });
  });

  it("counts a dyno number once when a preboot's next dyno runs beside it", () => {
    const q = observedQuantities([dyno("web", 1, { release: "v1" }), dyno("web", 1, { release: "v2", name: "a.web.1.next" })], "v1");
    expect(q).toEqual({ web: 1 });
  });
});

describe("planPreboot", () => {
  const webDyno = (processType: string, index: number, release: string, size = "standard-1x"): ObservedDyno => ({
    id: `${processType}${index}${release}`,
    processType,
    index,
    release,
    size,
    running: true,
  });

  it("starts every new web dyno beside the old ones and retires the old ones, highest first", () => {
    const plan = planPreboot(
      { release: "v3", processes: { web: { quantity: 2, size: "standard-1x" } } },
      [webDyno("web", 1, "v2"), webDyno("web", 2, "v2"), webDyno("web", 3, "v2")],
      true,
    )!;
    expect(plan.starts).toEqual([
      { index: 1, size: "standard-1x" },
      { index: 2, size: "standard-1x" },
    ]);
    expect(plan.retire.map((d) => d.index)).toEqual([3, 2, 1]);
    expect(plan.others).toEqual([]);
  });

  it("restarts other process types as without preboot", () => {
    const plan = planPreboot(
      { release: "v3", processes: { web: { quantity: 1, size: "standard-1x" }, worker: { quantity: 1, size: "standard-1x" } } },
      [webDyno("web", 1, "v2"), webDyno("worker", 1, "v2")],
      true,
    )!;
    expect(plan.others.map((a) => a.kind)).toEqual(["stop", "start"]);
  });

  it("is not used for scaling, with preboot off, or when web goes to 0", () => {
    const observed = [webDyno("web", 1, "v3")];
    expect(planPreboot({ release: "v3", processes: { web: { quantity: 3, size: "standard-1x" } } }, observed, true)).toBeUndefined();
    expect(planPreboot({ release: "v4", processes: { web: { quantity: 1, size: "standard-1x" } } }, observed, false)).toBeUndefined();
    expect(planPreboot({ release: "v4", processes: { web: { quantity: 0, size: "standard-1x" } } }, observed, true)).toBeUndefined();
  });

  it("is used for a size change", () => {
    expect(
      planPreboot({ release: "v3", processes: { web: { quantity: 1, size: "standard-2x" } } }, [webDyno("web", 1, "v3")], true),
    ).toBeDefined();
  });
});

describe("autoscaled web quantity (the autoscaler and Pulumi do not fight)", () => {
  const auto = { quantity: 1, size: "performance-m", autoscaling: { min: 1, max: 10, p95ResponseTimeMs: 300 } };

  it("keeps the running quantity, pulled into a changed range at once", () => {
    expect(quantityToRun(auto, 3)).toBe(3);
    expect(quantityToRun({ ...auto, autoscaling: { min: 4, max: 10 } }, 3)).toBe(4);
    expect(quantityToRun({ ...auto, autoscaling: { min: 1, max: 2 } }, 3)).toBe(2);
    expect(quantityToRun(auto, 0)).toBe(1);
    expect(quantityToRun({ ...auto, quantity: 20 }, 0)).toBe(10);
    expect(quantityToRun({ quantity: 2, size: "standard-1x" }, 5)).toBe(2);
  });

  it("sees no change while the quantity in the state is inside the program's range", () => {
    expect(processesChanged({ web: { ...auto, quantity: 3 } }, { web: auto })).toBe(false);
    expect(processesChanged({ web: { ...auto, quantity: 10 } }, { web: auto })).toBe(false);
  });

  it("sees a change of range, of size, a quantity outside the range, autoscaling turned on or off", () => {
    expect(processesChanged({ web: { ...auto, quantity: 3 } }, { web: { ...auto, autoscaling: { min: 1, max: 2 } } })).toBe(true);
    expect(processesChanged({ web: { ...auto, quantity: 3 } }, { web: { ...auto, size: "performance-l" } })).toBe(true);
    expect(processesChanged({ web: { ...auto, quantity: 0 } }, { web: auto })).toBe(true);
    expect(processesChanged({ web: { quantity: 3, size: "performance-m" } }, { web: auto })).toBe(true);
    expect(processesChanged({ web: { ...auto, quantity: 1 } }, { web: { quantity: 1, size: "performance-m" } })).toBe(true);
  });

  it("still sees every quantity change without autoscaling, and added or removed types", () => {
    const plain = { quantity: 2, size: "standard-1x" };
    expect(processesChanged({ web: plain }, { web: plain })).toBe(false);
    expect(processesChanged({ web: plain }, { web: { ...plain, quantity: 3 } })).toBe(true);
    expect(processesChanged({ web: plain }, { web: plain, worker: plain })).toBe(true);
    expect(processesChanged({ web: plain, worker: plain }, { web: plain })).toBe(true);
  });

  it("counts running web dynos by number", () => {
    const d = (index: number, running = true, processType = "web") => ({
      id: `${index}`,
      processType,
      index,
      release: "v1",
      size: "x",
      running,
    });
    expect(runningQuantity([d(1), d(2), d(3, false), d(1, true, "worker")], "web")).toBe(2);
  });
});
