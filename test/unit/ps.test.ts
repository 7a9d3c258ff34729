import { describe, expect, it } from "vitest";
import { dynoState, formatAutoscaled, formatPs, formatUptime, serviceWarnings, taskState } from "../../cli/ps";

describe("dynoform ps formatting", () => {
  it("uses Heroku's states", () => {
    expect(dynoState("running", 0)).toBe("up");
    expect(dynoState("exited", 1)).toBe("crashed");
    expect(dynoState("exited", 143, true)).toBe("idle");
  });

  it("calls every stop nobody asked for a crash, as Heroku and the dyno manager do", () => {
    // `docker stop` (143), `docker kill` (137), a clean exit (0): all are restarted.
    expect(dynoState("exited", 0)).toBe("crashed");
    expect(dynoState("exited", 143)).toBe("crashed");
    expect(dynoState("exited", 137)).toBe("crashed");
    expect(dynoState("exited", 137, true)).toBe("crashed");
  });

  it("says when the dyno manager or a router is down, and what to do", () => {
    expect(serviceWarnings({ dynoManager: "running", routers: [{ name: "r", running: true }], hasDynos: true })).toEqual([]);
    expect(serviceWarnings({ dynoManager: "absent", routers: [], hasDynos: false })).toEqual([]);
    const [manager, router] = serviceWarnings({
      dynoManager: "stopped",
      routers: [{ name: "dynoform-router", running: false }],
      hasDynos: true,
    });
    expect(manager).toMatch(/dyno manager .* not running: crashed dynos are not restarted.*pulumi up.*docker start dynoform-dyno-manager/);
    expect(router).toMatch(/router dynoform-router is not running: its apps get no requests.*docker start dynoform-router/);
  });

  it("shows uptime in the largest units that fit", () => {
    expect(formatUptime(42_000)).toBe("42s");
    expect(formatUptime(5 * 60_000)).toBe("5m");
    expect(formatUptime(3 * 3600_000 + 7 * 60_000)).toBe("3h 7m");
    expect(formatUptime(2 * 86400_000 + 3600_000)).toBe("2d 1h");
  });

  it("sorts by app, process type and number, and aligns columns", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const row = (dyno: string, state = "up") => ({
      app: "api",
      dyno,
      state,
      release: "v3",
      size: "standard-1x",
      startedAt: new Date("2026-01-01T11:58:00Z"),
      command: "perl web.pl",
    });
    expect(formatPs([row("web.10"), row("worker.1", "crashed"), row("web.2")], now)).toBe(
      [
        "APP  DYNO      STATE    RELEASE  SIZE         UPTIME  COMMAND",
        "api  web.2     up       v3       standard-1x  2m      perl web.pl",
        "api  web.10    up       v3       standard-1x  2m      perl web.pl",
        "api  worker.1  crashed  v3       standard-1x  -       perl web.pl",
        "",
      ].join("\n"),
    );
    expect(formatPs([], now)).toBe("No dynos.\n");
  });

  it("says which dynos run under emulation beside their size (Fir on an x86-64 engine)", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const row = (app: string, emulation?: string) => ({
      app,
      dyno: "web.1",
      state: "up",
      release: "v1",
      size: "standard-1x",
      ...(emulation ? { emulation } : {}),
      startedAt: new Date("2026-01-01T11:59:00Z"),
      command: "x",
    });
    expect(formatPs([row("cedar"), row("fir", "(arm64, emulated)")], now)).toBe(
      [
        "APP    DYNO   STATE  RELEASE  SIZE                           UPTIME  COMMAND",
        "cedar  web.1  up     v1       standard-1x                    1m      x",
        "fir    web.1  up     v1       standard-1x (arm64, emulated)  1m      x",
        "",
      ].join("\n"),
    );
  });
});

describe("dynoform ps: autoscaled process types", () => {
  const row = (app: string, dyno: string) => ({ app, dyno, state: "up", release: "v1", size: "performance-m", command: "x" });
  it("heads each autoscaled type with its quantity, range and target", () => {
    const rows = [row("api", "web.1"), row("api", "web.2"), row("api", "web.3"), row("api", "worker.1"), row("other", "web.1")];
    const policies = new Map([["api", { processType: "web", min: 1, max: 10, p95TargetMs: 300 }]]);
    expect(formatAutoscaled(rows, policies)).toBe("\n=== api web (performance-m): 3 (autoscaled 1–10, p95 target 300 ms)\n");
    expect(formatAutoscaled(rows, new Map())).toBe("");
  });
});

describe("taskState (a dyno on a Swarm)", () => {
  it("is up when running, starting before, crashed after a failure", () => {
    expect(taskState("running")).toBe("up");
    for (const s of ["new", "pending", "assigned", "preparing", "starting"]) expect(taskState(s)).toBe("starting");
    for (const s of ["failed", "rejected"]) expect(taskState(s)).toBe("crashed");
  });
});
