import { describe, expect, it } from "vitest";
import { addTo, encodeHistogram, type LatencyHistogram } from "../../provider/dyno-manager/latency-histogram";
import {
  buildReport,
  decodeErrors,
  dynoBuckets,
  eventTotals,
  gridOf,
  parseLabels,
  presentSources,
  routerBuckets,
  runtimeBuckets,
  SOURCES,
  totalRows,
  type SeriesQuery,
} from "../../provider/metrics/metrics-series";

const q: SeriesQuery = { app: "shop", processType: "web", res: 60, sinceEpoch: 6000, nowEpoch: 6000 + 4 * 60 + 30 };
const bucket = (dyno: string, start: number, over: Record<string, number | string> = {}) => ({
  dyno,
  process: "web",
  start,
  samples: 3,
  mem_sum: 300,
  quota: 512,
  load_sum: 1.5,
  restarts: 0,
  crashes: 0,
  ...over,
});
const histogram = (...ms: number[]) => {
  const h: LatencyHistogram = new Map();
  for (const m of ms) addTo(h, m);
  return encodeHistogram(h);
};

describe("metrics series", () => {
  it("lays a window on bucket starts, now's bucket included", () => {
    expect(gridOf(q)).toEqual([6000, 6060, 6120, 6180, 6240]);
    expect(gridOf({ ...q, sinceEpoch: 6010 })[0]).toBe(6000);
  });

  it("turns buckets into memory and load per dyno (averages, gaps), a quota line and restart/crash counts", () => {
    const rows = [
      bucket("web.1", 6000),
      bucket("web.1", 6120, { mem_sum: 900, load_sum: 3 }),
      bucket("web.2", 6060, { restarts: 1, samples: 0, mem_sum: 0, load_sum: 0 }),
      bucket("web.2", 6120, { crashes: 2 }),
    ];
    const s = dynoBuckets.series(rows, q, gridOf(q));
    const find = (chart: string, name: string) => s.find((x) => x.chart === chart && x.name === name);
    expect(find("memory", "web.1")).toEqual({
      chart: "memory",
      name: "web.1",
      labels: { dyno: "web.1", process_type: "web" },
      points: [100, null, 300, null, null],
      latest: 300,
    });
    expect(find("load", "web.1")?.points).toEqual([0.5, null, 1, null, null]);
    // A bucket with only a restart in it has no sample: a gap, not a zero.
    expect(find("memory", "web.2")?.points).toEqual([null, null, 100, null, null]);
    expect(find("memory", "quota")).toMatchObject({ labels: { process_type: "web" }, points: [512, null, 512, null, null], latest: 512 });
    expect(find("events", "restarts")?.points).toEqual([0, 1, 0, 0, 0]);
    expect(find("events", "crashes")?.points).toEqual([0, 0, 2, 0, 0]);
    expect(dynoBuckets.series([], q, gridOf(q))).toEqual([]);
  });

  it("turns router buckets into rpm by status class, p50/p95/p99 and errors by code", () => {
    const rows = [
      { process: "web", start: 6000, requests: 4, s2xx: 3, s3xx: 0, s4xx: 1, s5xx: 0, latency: histogram(10, 10, 10, 1000), errors: "" },
      { process: "web", start: 6180, requests: 2, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 2, latency: histogram(30000, 30000), errors: "H12:2" },
    ];
    const s = routerBuckets.series(rows, { ...q, res: 600 }, [6000, 6180]);
    const find = (chart: string, name: string) => s.find((x) => x.chart === chart && x.name === name);
    // Per minute at 10-minute buckets: 3 requests are 0.3 rpm.
    expect(find("throughput", "2xx")?.points).toEqual([0.3, 0]);
    expect(find("throughput", "5xx")?.points).toEqual([0, 0.2]);
    expect(find("response_time", "p50")?.points[0]).toBeGreaterThanOrEqual(10);
    expect(find("response_time", "p50")?.points[0]).toBeLessThan(12.1);
    expect(find("response_time", "p99")?.points[0]).toBeGreaterThanOrEqual(1000);
    expect(find("response_time", "p95")?.latest).toBeGreaterThanOrEqual(30000);
    expect(find("errors", "H12")).toMatchObject({ labels: { code: "H12" }, points: [0, 0.2] });
    expect(routerBuckets.series([], q, [6000])).toEqual([]);
  });

  it("reads only the tables the store has, and queries one app, resolution and type", () => {
    expect(presentSources(["buckets"]).map((s) => s.table)).toEqual(["buckets"]);
    expect(presentSources(["buckets", "router_buckets", "runtime_buckets", "totals"])).toEqual(SOURCES);
    const sql = dynoBuckets.sql({ ...q, app: "o'brien" });
    expect(sql).toContain("app='o''brien' AND res=60 AND start>=6000 AND process='web'");
    expect(routerBuckets.sql({ ...q, processType: undefined })).not.toContain("process=");
  });

  it("builds a report with every chart, in order, empty where no source gave series", () => {
    const r = buildReport(q, [{ source: dynoBuckets, rows: [bucket("web.1", 6120), bucket("web.1", 6240)] }]);
    // From the first bucket with data: no empty past before the app's first sample.
    expect(r.times).toEqual([6120, 6180, 6240]);
    expect(buildReport(q, []).times).toHaveLength(5);
    expect(r.charts.map((c) => [c.id, c.series.length])).toEqual([
      ["memory", 2],
      ["load", 1],
      ["response_time", 0],
      ["throughput", 0],
      ["errors", 0],
      ["events", 2],
      ["heap", 0],
      ["gc", 0],
      ["event_loop_delay", 0],
    ]);
    expect(r.charts[0].series[0]).toMatchObject({ points: [100, null, 100], latest: 100 });
  });

  it("reads counters' labels and errors' codes as the other tables write them", () => {
    expect(parseLabels('status_class="2xx"')).toEqual({ status_class: "2xx" });
    expect(parseLabels('code="H12",x="a\\"b"')).toEqual({ code: "H12", x: 'a"b' });
    expect(parseLabels('{"code":"H10"}')).toEqual({ code: "H10" });
    expect(parseLabels(null)).toEqual({});
    expect([...decodeErrors("H12:3,H10:1,bad,H12:1")]).toEqual([
      ["H12", 4],
      ["H10", 1],
    ]);
    expect(
      totalRows([{ app: "a", process: "web", dyno: "", name: "router_requests_total", labels: 'status_class="2xx"', value: 7 }]),
    ).toEqual([{ app: "a", process: "web", dyno: "", name: "router_requests_total", labels: { status_class: "2xx" }, value: 7 }]);
    expect(eventTotals([{ app: "a", process: "web", dyno: "web.1", restarts: 2, crashes: 1 }]).map((t) => [t.name, t.value])).toEqual([
      ["dyno_restarts_total", 2],
      ["dyno_crashes_total", 1],
    ]);
  });
});

describe("runtime series", () => {
  it("turns runtime buckets into heap MB, GC ms per minute and event-loop p99 per dyno", () => {
    const rows = [
      {
        dyno: "web.1",
        process: "web",
        start: 6000,
        samples: 2,
        seconds: 30,
        heap_sum: 80,
        gc_ms_sum: 15,
        eld_samples: 2,
        eld_p99_max: 12.5,
      },
      { dyno: "web.1", process: "web", start: 6060, samples: 1, seconds: 20, heap_sum: 50, gc_ms_sum: 0, eld_samples: 0, eld_p99_max: 0 },
    ];
    const s = runtimeBuckets.series(rows, q, [6000, 6060]);
    expect(s.map((x) => [x.chart, x.name, x.points])).toEqual([
      ["heap", "web.1", [40, 50]],
      ["gc", "web.1", [30, 0]],
      ["event_loop_delay", "web.1", [12.5, null]],
    ]);
    expect(
      buildReport(q, [])
        .charts.filter((c) => c.optional)
        .map((c) => c.id),
    ).toEqual(["heap", "gc", "event_loop_delay"]);
  });
});
