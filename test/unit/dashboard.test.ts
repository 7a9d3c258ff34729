import { describe, expect, it } from "vitest";
import { appsFromLabels, cached, handle, parseDashboardArgs, type DashboardSource } from "../../cli/dashboard";
import { LABEL } from "../../provider/docker/labels";
import type { StoreRow } from "../../provider/metrics/metrics-series";

const dyno = (app: string, process: string, size: string, metrics: string) => ({
  [LABEL.app]: app,
  [LABEL.process]: process,
  [LABEL.size]: size,
  [LABEL.metrics]: metrics,
});
const labels = [
  dyno("shop", "web", "standard-1x", "7d"),
  dyno("shop", "web", "standard-1x", "7d"),
  dyno("shop", "worker", "standard-2x", "7d"),
  dyno("blog", "web", "basic", "24h"),
  dyno("toy", "web", "eco", "none"),
];
const NOW = 1_800_000_000;

/** A store with one bucket per statement that names `buckets`, recording what it was asked. */
function source(tables = ["buckets"]): DashboardSource & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    apps: async () => appsFromLabels(labels),
    tables: async () => tables,
    query: async (statements) => {
      asked.push(statements);
      return statements.map((s): StoreRow[] => {
        if (s.includes("SUM(restarts)")) return [{ app: "shop", process: "web", dyno: "web.1", restarts: 2, crashes: 1 }];
        if (!s.includes("FROM buckets")) return [];
        const start = NOW - (NOW % 60);
        return [{ dyno: "web.1", process: "web", start, samples: 2, mem_sum: 250, quota: 512, load_sum: 0.4, restarts: 0, crashes: 0 }];
      });
    },
  };
}
const get = async (url: string, s = source()) => {
  const r = await handle(s, "GET", url, NOW);
  return { ...r, json: r.type.startsWith("application/json") ? JSON.parse(r.body) : undefined };
};

describe("dynoform dashboard", () => {
  it("listens on 127.0.0.1:9190 unless told, and refuses an address it cannot read", () => {
    expect(parseDashboardArgs([])).toEqual({ host: "127.0.0.1", port: 9190 });
    expect(parseDashboardArgs(["--listen", "0.0.0.0:80"])).toEqual({ host: "0.0.0.0", port: 80 });
    expect(parseDashboardArgs(["--listen", "[::1]:0"])).toEqual({ host: "::1", port: 0 });
    expect(parseDashboardArgs(["--listen", "9190"])).toContain('not "9190"');
    expect(parseDashboardArgs(["extra"])).toContain("usage:");
  });

  it("lists apps with their tier, process types, sizes and the windows the tier keeps", async () => {
    const { json } = await get("/api/apps");
    expect(json.apps).toEqual([
      { name: "blog", tier: "Basic", retention: "24h", processTypes: ["web"], sizes: { web: "basic" }, windows: ["2h", "24h"] },
      {
        name: "shop",
        tier: "Standard and up",
        retention: "7d",
        processTypes: ["web", "worker"],
        sizes: { web: "standard-1x", worker: "standard-2x" },
        windows: ["2h", "24h", "3d", "7d"],
      },
      { name: "toy", tier: "Eco", retention: "none", processTypes: ["web"], sizes: { web: "eco" }, windows: [] },
    ]);
  });

  it("answers an app's charts at the tier's resolution for the window", async () => {
    const s = source();
    const r = await get("/api/apps/shop/metrics?type=web&since=2h", s);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ app: "shop", processType: "web", resolutionSeconds: 60, since: "2h", size: "standard-1x" });
    // The store's one bucket is now's: the grid starts there, not two hours back.
    expect(r.json.times).toEqual([NOW - (NOW % 60)]);
    expect(r.json.charts.find((c: { id: string }) => c.id === "memory").series[0]).toMatchObject({ name: "web.1", latest: 125 });
    expect(s.asked[0][0]).toContain("res=60");
    expect((await get("/api/apps/shop/metrics?since=3d", s)).json.resolutionSeconds).toBe(3600);
    expect((await get("/api/apps/blog/metrics?since=2h", s)).json.resolutionSeconds).toBe(600);
  });

  it("says why not, with a 4xx, for an unknown app, Eco, a window the tier does not keep, a bad span or type", async () => {
    const unknown = await get("/api/apps/nope/metrics");
    expect([unknown.status, unknown.json.code]).toEqual([404, "unknown_app"]);
    expect(unknown.json.error).toContain('No app named "nope"');
    const eco = await get("/api/apps/toy/metrics");
    expect([eco.status, eco.json.error]).toEqual([404, expect.stringContaining("Metrics are not available for Eco dynos (app toy)")]);
    const basic = await get("/api/apps/blog/metrics?since=3d");
    expect([basic.status, basic.json.error]).toEqual([
      400,
      "Basic dynos keep 1 day of metrics, so app blog has none for the past 3d: ask for 24h or less.",
    ]);
    expect((await get("/api/apps/shop/metrics?since=8d")).json.error).toContain("keep 7 days");
    expect((await get("/api/apps/shop/metrics?since=soon")).status).toBe(400);
    const type = await get("/api/apps/shop/metrics?type=clock");
    expect([type.status, type.json.error]).toEqual([404, "App shop has no clock dynos (process types: web, worker)."]);
    expect((await get("/nowhere")).status).toBe(404);
    expect((await get("/api/apps/%E0%A4%A/metrics")).status).toBe(400);
    expect((await handle(source(), "POST", "/api/apps", NOW)).status).toBe(405);
  });

  it("serves the page and the Prometheus text, counting restarts from the buckets while the store has no totals", async () => {
    const page = await get("/");
    expect(page.type).toBe("text/html; charset=utf-8");
    expect(page.body).toContain('<select id="app">');
    const s = source();
    const metrics = await get("/metrics", s);
    expect(metrics.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(metrics.body).toContain(
      'dynoform_dyno_memory_quota_bytes{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 536870912',
    );
    expect(metrics.body).toContain('dynoform_dyno_crashes_total{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 1');
    // One exec for every app (Eco has none to ask for), and no query of a table the store lacks.
    expect(s.asked).toHaveLength(1);
    expect(s.asked[0].join("\n")).not.toMatch(/router_buckets|totals|'toy'/);
    const withTotals = source(["buckets", "router_buckets", "totals"]);
    await get("/metrics", withTotals);
    expect(withTotals.asked[0].at(-1)).toContain("FROM totals WHERE app IN ('blog','shop')");
    // Totals that keep no restarts or crashes (the router's writer) leave those to the buckets.
    const withRouterTotals = await get("/metrics", withTotals);
    expect(withRouterTotals.body).toContain(
      'dynoform_dyno_restarts_total{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 2',
    );
    // Totals that keep crashes: theirs, and 0 for a dyno that has none there yet.
    const keeping = source(["buckets", "totals"]);
    const query = keeping.query;
    keeping.query = async (st) =>
      (await query(st)).map((rows, i) =>
        st[i].includes("FROM totals")
          ? [{ app: "shop", process: "web", dyno: "web.2", name: "dyno_crashes_total", labels: "", value: 4 }]
          : rows,
      );
    const kept = (await get("/metrics", keeping)).body;
    expect(kept).toContain('dynoform_dyno_crashes_total{app="shop",process_type="web",dyno="web.2",size="standard-1x"} 4');
    expect(kept).toContain('dynoform_dyno_crashes_total{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 0');
    expect(kept).toContain('dynoform_dyno_restarts_total{app="shop",process_type="web",dyno="web.1",size="standard-1x"} 2');
  });

  it("asks the store once a second for the same question", async () => {
    let t = 0;
    let calls = 0;
    const base = source();
    const c = cached({ ...base, query: (st) => (calls++, base.query(st)) }, 1000, () => t);
    await c.query(["a"]);
    await c.query(["a"]);
    expect(calls).toBe(1);
    t = 1500;
    await c.query(["a"]);
    expect(calls).toBe(2);
  });
});
