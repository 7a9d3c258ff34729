import { describe, expect, it } from "vitest";
import { parseMetricsArgs, renderMetrics } from "../../cli/metrics";
import { widestRetention } from "../../provider/dyno-manager/metrics-plan";
import type { MetricsRow } from "../../provider/dyno-manager/metrics-store";

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
    expect(widestRetention([{ "dynoform.metrics": "none" }])).toBe("none");
    expect(widestRetention([{ "dynoform.metrics": "24h" }, { "dynoform.metrics": "7d" }])).toBe("7d");
    expect(widestRetention([{}])).toBe("none");
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
});
