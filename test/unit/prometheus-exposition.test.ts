import { describe, expect, it } from "vitest";
import { buildReport, dynoBuckets, routerBuckets, runtimeBuckets, type SeriesQuery } from "../../provider/metrics/metrics-series";
import { metricFamilies, renderExposition, type AppSnapshot } from "../../provider/metrics/prometheus-exposition";
import { addTo, encodeHistogram, type LatencyHistogram } from "../../provider/dyno-manager/latency-histogram";

const q: SeriesQuery = { app: "shop", res: 60, sinceEpoch: 6000, nowEpoch: 6100 };
const h: LatencyHistogram = new Map();
addTo(h, 50, 9);
addTo(h, 2000, 1);
const snapshot: AppSnapshot = {
  app: "shop",
  sizes: { web: "standard-1x" },
  report: buildReport(q, [
    {
      source: dynoBuckets,
      rows: [{ dyno: "web.1", process: "web", start: 6060, samples: 2, mem_sum: 200, quota: 512, load_sum: 0.5, restarts: 0, crashes: 0 }],
    },
    {
      source: routerBuckets,
      rows: [{ process: "web", start: 6060, requests: 10, s2xx: 10, s3xx: 0, s4xx: 0, s5xx: 0, latency: encodeHistogram(h), errors: "" }],
    },
  ]),
  totals: [
    { app: "shop", process: "web", dyno: "web.1", name: "dyno_restarts_total", labels: {}, value: 3 },
    { app: "shop", process: "web", dyno: "", name: "router_requests_total", labels: { status_class: "2xx" }, value: 10 },
    { app: "shop", process: "web", dyno: "", name: "router_errors_total", labels: { code: "H12" }, value: 1 },
    { app: "shop", process: "web", dyno: "", name: "router_response_time_ms_sum", labels: {}, value: 2450 },
    { app: "shop", process: "web", dyno: "", name: "router_response_time_ms_count", labels: {}, value: 10 },
    { app: "shop", process: "worker", dyno: "worker.1", name: "node heap", labels: {}, value: 1 },
  ],
};

describe("Prometheus exposition", () => {
  const text = renderExposition(metricFamilies([snapshot]));
  const lines = text.trimEnd().split("\n");

  it("exports gauges in base units with app, process_type, dyno and size", () => {
    expect(lines).toContain('dynoform_dyno_memory_bytes{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 104857600');
    expect(lines).toContain('dynoform_dyno_memory_quota_bytes{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 536870912');
    expect(lines).toContain('dynoform_dyno_load{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 0.25');
  });

  it("exports counters and the response-time summary in seconds", () => {
    expect(lines).toContain('dynoform_dyno_restarts_total{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 3');
    expect(lines).toContain('dynoform_router_requests_total{app="shop",process_type="web",size="standard-1x",status_class="2xx"} 10');
    expect(lines).toContain('dynoform_router_errors_total{app="shop",process_type="web",size="standard-1x",code="H12"} 1');
    expect(lines).toContain('dynoform_router_response_time_seconds_sum{app="shop",process_type="web",size="standard-1x"} 2.45');
    expect(lines).toContain('dynoform_router_response_time_seconds_count{app="shop",process_type="web",size="standard-1x"} 10');
    const p50 = lines.find((l) =>
      l.startsWith('dynoform_router_response_time_seconds{app="shop",process_type="web",size="standard-1x",quantile="0.5"}'),
    );
    expect(Number(p50?.split(" ")[1])).toBeCloseTo(0.05, 1);
    expect(lines).toContain("# TYPE dynoform_router_response_time_seconds summary");
    // A counter nobody named here yet still comes out, under a legal name.
    expect(lines).toContain('dynoform_node_heap{app="shop",process_type="worker",dyno="worker.1"} 1');
  });

  it("writes HELP and TYPE once per family, before its samples, and only lines the format allows", () => {
    const names = lines.filter((l) => l.startsWith("# TYPE")).map((l) => l.split(" ")[2]);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      const first = lines.findIndex((l) => l.startsWith(name));
      expect(lines[first - 2]).toBe(lines.find((l) => l.startsWith(`# HELP ${name} `)));
      expect(lines[first - 1]).toMatch(new RegExp(`^# TYPE ${name} (gauge|counter|summary)$`));
    }
    for (const l of lines)
      expect(l).toMatch(/^(# (HELP|TYPE) [a-z_:]+ .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="(\\.|[^"\\])*",?)*\})? \S+)$/);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("escapes label values and leaves out families with no samples", () => {
    const odd = renderExposition(metricFamilies([{ ...snapshot, app: 'a"b\\c\nd', totals: [], report: buildReport(q, []) }]));
    expect(odd).toBe("");
    const esc = renderExposition(
      metricFamilies([{ ...snapshot, app: 'a"b\\c\nd', report: buildReport(q, []), totals: [snapshot.totals[0]] }]),
    );
    expect(esc).toContain('app="a\\"b\\\\c\\nd"');
  });
});

describe("Prometheus exposition of runtime metrics", () => {
  it("exports the newest heap, GC share and event-loop p99 per dyno in bytes, a ratio and seconds", () => {
    const report = buildReport(q, [
      {
        source: runtimeBuckets,
        rows: [
          {
            dyno: "web.1",
            process: "web",
            start: 6060,
            samples: 2,
            seconds: 60,
            heap_sum: 100,
            gc_ms_sum: 600,
            eld_samples: 2,
            eld_p99_max: 25,
          },
        ],
      },
    ]);
    const text = renderExposition(metricFamilies([{ ...snapshot, report, totals: [] }]));
    const labels = '{app="shop",process_type="web",dyno="web.1",size="standard-1x"}';
    expect(text).toContain(`dynoform_nodejs_heap_used_bytes${labels} 52428800`);
    expect(text).toContain(`dynoform_nodejs_gc_time_ratio${labels} 0.01`);
    expect(text).toContain(`dynoform_nodejs_eventloop_delay_p99_seconds${labels} 0.025`);
  });
});
