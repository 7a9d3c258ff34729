import { describe, expect, it } from "vitest";
import { appRetention, parseMetricsArgs, renderMetrics } from "../../cli/metrics";
import type { MetricsRow, RuntimeRow } from "../../provider/dyno-manager/metrics-store";

const row = (start: number, over: Partial<MetricsRow> = {}): MetricsRow => ({
  dyno: "web.1",
  process: "web",
  start,
  samples: 3,
  mem_avg: 100,
  mem_max: 120,
  quota: 512,
  load_avg: 0.5,
  load_max: 1,
  restarts: 0,
  crashes: 0,
  ...over,
});

describe("dynoform metrics", () => {
  it("reads --app, --type and --since (default 2h) and refuses a span it cannot read", () => {
    expect(parseMetricsArgs(["--app", "shop"])).toEqual({ app: "shop", processType: undefined, sinceSeconds: 7200 });
    expect(parseMetricsArgs(["-a", "shop", "--type", "web", "--since", "3d"])).toEqual({
      app: "shop",
      processType: "web",
      sinceSeconds: 259200,
    });
    expect(parseMetricsArgs(["--app", "shop", "--since", "soon"])).toContain('not "soon"');
    expect(parseMetricsArgs([])).toContain("usage:");
  });

  it("takes the widest retention among the app's dynos (Eco: none)", () => {
    expect(appRetention([{ "dynoform.metrics": "none" }])).toBe("none");
    expect(appRetention([{ "dynoform.metrics": "24h" }, { "dynoform.metrics": "7d" }])).toBe("7d");
    expect(appRetention([{}])).toBe("none");
  });

  it("prints per dyno the numbers and a chart per series, gaps where no sample came", () => {
    const out = renderMetrics(
      [row(0), row(120, { mem_avg: 610, mem_max: 620, crashes: 1, restarts: 1 }), row(0, { dyno: "web.2", samples: 0, restarts: 1 })],
      { res: 60, sinceEpoch: 0, nowEpoch: 180 },
    );
    expect(out).toContain("=== web.1 (quota 512 MB)");
    expect(out).toContain("memory  ▁ █  now 610 MB (119.1%)");
    expect(out).toContain("max 620 MB (121.1%)");
    expect(out).toContain("load    ▁ ▁  now 0.50  avg 0.50  max 1.00");
    expect(out).toContain("crashes 1  restarts 1");
    expect(out).toContain("=== web.2");
    expect(out).toContain("memory  no samples in this span");
    expect(out).toContain("events  █    crashes 0  restarts 1");
    expect(out).toContain("events  ▁ █  crashes 1  restarts 1");
  });

  it("starts the chart at the first bucket with data", () => {
    const out = renderMetrics([row(3600), row(3660, { mem_max: 200 })], { res: 60, sinceEpoch: 0, nowEpoch: 3720 });
    expect(out).toContain("memory  ▁█  now 100 MB");
  });

  it("adds a Node.js dyno's runtime series to its section, and nothing to a dyno without them", () => {
    const rt = (start: number, over: Partial<RuntimeRow> = {}): RuntimeRow => ({
      dyno: "web.1",
      process: "web",
      start,
      samples: 3,
      heap_avg: 20,
      heap_max: 25,
      heap_total_max: 40,
      gc_ms_per_min: 12,
      gc_ms: 12,
      eld_mean: 0.5,
      eld_p99: 2,
      eld_max: 4,
      ...over,
    });
    const out = renderMetrics([row(0), row(60), row(120), row(0, { dyno: "web.2" })], { res: 60, sinceEpoch: 0, nowEpoch: 180 }, [
      rt(0),
      rt(60, { eld_p99: null, eld_mean: null, eld_max: null }),
      rt(120, { heap_avg: 30, heap_max: 35, gc_ms_per_min: 48, eld_p99: 190, eld_max: 210 }),
    ]);
    const [web1, web2] = out.split("=== web.2");
    expect(web1).toContain("heap    ▁▁█  now 30.0 MB  avg 23.3 MB  max 35.0 MB (allocated 40.0 MB)");
    expect(web1).toContain("gc      ▃▃█  now 48.0 ms/min  avg 24.0 ms/min  max 48.0 ms/min");
    expect(web1).toContain("delay   ▁ █  p99 now 190.0 ms  max 190.0 ms  mean 0.5 ms  longest 210.0 ms");
    expect(web2).not.toContain("heap");
  });
});
