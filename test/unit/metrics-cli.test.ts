import { describe, expect, it } from "vitest";
import { beyondRetention, parseMetricsArgs, renderMetrics, renderProcessTypes, renderRouter } from "../../cli/metrics";
import { bucketOf } from "../../provider/dyno-manager/latency-histogram";
import { widestRetention } from "../../provider/dyno-manager/metrics-plan";
import type { MetricsRow, RouterRow, RuntimeRow } from "../../provider/dyno-manager/metrics-store";

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

describe("dynoform metrics per process type and for the router", () => {
  it("puts a process type's dynos together: mean memory over their samples, the highest any reached", () => {
    const out = renderProcessTypes(
      [
        row(0, { samples: 1, mem_avg: 100, mem_max: 110 }),
        row(0, { dyno: "web.2", samples: 3, mem_avg: 200, mem_max: 300, load_max: 2 }),
        row(60, { samples: 2, mem_avg: 150, mem_max: 160 }),
        row(0, { dyno: "worker.1", process: "worker", samples: 2, mem_avg: 50, mem_max: 60, load_avg: 0.1, load_max: 0.2 }),
      ],
      { res: 60, sinceEpoch: 0, nowEpoch: 120 },
    );
    expect(out.split("\n").slice(0, 3)).toEqual([
      "=== web (2 dynos)",
      "memory  █▁  mean 167 MB  max 300 MB",
      "load    ▁▁  mean 0.50  max 2.00",
    ]);
    expect(out).toContain("=== worker (1 dyno)");
    expect(out).toContain("mean 50 MB  max 60 MB");
  });

  it("shows the router's throughput per status class, its percentiles and its errors by code", () => {
    const r = (start: number, over: Partial<RouterRow>): RouterRow => ({
      process: "web",
      start,
      requests: 0,
      s2xx: 0,
      s3xx: 0,
      s4xx: 0,
      s5xx: 0,
      latency: "",
      errors: "",
      ...over,
    });
    const out = renderRouter(
      [
        r(0, { requests: 60, s2xx: 50, s4xx: 10, latency: `${bucketOf(10)}:57,${bucketOf(300)}:3` }),
        r(120, { requests: 3, s5xx: 3, latency: `${bucketOf(1)}:3`, errors: "H10:2,H12:1" }),
      ],
      { res: 60, sinceEpoch: 0, nowEpoch: 180 },
    );
    expect(out).toContain("=== web router (63 requests)");
    expect(out).toContain("throughput 2xx  █ ▁  16.7 req/min (50)");
    expect(out).toContain("throughput 5xx  ▁ █  1.0 req/min (3)");
    expect(out).toMatch(/response p50 +[▁█ ]+ {2}11 ms/);
    // 3 of 63 took 300 ms: the p95 is the 60th, still in 10 ms's bucket; the p99 in 300 ms's, at most 20% above.
    expect(out).toMatch(/response p95 +[▁█ ]+ {2}11 ms/);
    const p99 = Number(/response p99 +[▁█ ]+ {2}(\d+) ms/.exec(out)?.[1]);
    expect(p99).toBeGreaterThanOrEqual(300);
    expect(p99).toBeLessThanOrEqual(360);
    expect(out).toContain("H10 2  H12 1");
    expect(renderRouter([], { res: 60, sinceEpoch: 0, nowEpoch: 180 })).toBe("");
  });

  it("refuses a span longer than the tier keeps, saying what it keeps", () => {
    expect(beyondRetention("shop", "24h", 3 * 86400)).toBe(
      "dynoform metrics: app shop keeps metrics for 24h (its tier: Basic); --since 3d asks for more than that. Use --since 24h or less.\n",
    );
    expect(beyondRetention("shop", "7d", 8 * 86400)).toContain("keeps metrics for 7d");
    expect(beyondRetention("shop", "7d", 7 * 86400)).toBeUndefined();
    expect(beyondRetention("shop", "none", 7 * 86400)).toBeUndefined();
  });
});
