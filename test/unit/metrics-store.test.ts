import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  eventSql,
  metricsQuery,
  pruneSql,
  queryMetrics,
  routerBucketSql,
  routerMetricsQuery,
  runSql,
  sampleSql,
  sqlText,
  storedRouterTextSql,
  totalsSql,
  writeMetrics,
  type RouterRow,
} from "../../provider/dyno-manager/metrics-store";
import { RouterBuffer, withStored, type StoredRouterText } from "../../provider/dyno-manager/router-buckets";
import { decodeHistogram, histogramCount } from "../../provider/dyno-manager/latency-histogram";
import type { DynoSample } from "../../provider/dyno-manager/metrics-plan";

// Real SQLite (Debian's sqlite3, as in the dyno manager's image) on a temporary file.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-metrics-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T = Date.parse("2026-11-26T05:00:00Z");
const sample = (atMs: number, memoryMb: number, over: Partial<DynoSample> = {}): DynoSample => ({
  app: "shop",
  dyno: "web.1",
  processType: "web",
  retention: "7d",
  atMs,
  memoryMb,
  quotaMb: 512,
  load: 0.25,
  ...over,
});
const query = async (db: string, res: number) =>
  JSON.parse((await runSql(`.mode json\n${metricsQuery({ app: "shop", res, sinceEpoch: 0 })}`, db)) || "[]");

describe("metrics store", () => {
  it("quotes text as SQL literals", () => {
    expect(sqlText("it's")).toBe("'it''s'");
  });

  it("folds samples into each resolution's bucket: averages, maxima, crashes and restarts add up", async () => {
    const db = path.join(dir, "fold.db");
    await writeMetrics(sampleSql([sample(T, 100), sample(T + 20_000, 300), sample(T + 60_000, 200)]), db);
    await writeMetrics(eventSql({ app: "shop", dyno: "web.1", processType: "web", retention: "7d", atMs: T + 61_000, kind: "crash" }), db);
    const minute = await query(db, 60);
    expect(
      minute.map((r: { start: number; samples: number; mem_avg: number; mem_max: number; crashes: number }) => [
        r.samples,
        r.mem_avg,
        r.mem_max,
        r.crashes,
      ]),
    ).toEqual([
      [2, 200, 300, 0],
      [1, 200, 200, 1],
    ]);
    const twoHours = await query(db, 7200);
    expect(twoHours).toHaveLength(1);
    expect(twoHours[0]).toMatchObject({ samples: 3, mem_avg: 200, mem_max: 300, load_avg: 0.25, crashes: 1, quota: 512 });
    // Basic keeps the 10-minute buckets only; Eco nothing.
    await writeMetrics(
      sampleSql([sample(T, 50, { dyno: "web.9", retention: "24h" }), sample(T, 50, { dyno: "web.8", retention: "none" })]),
      db,
    );
    const rows = JSON.parse(await runSql(".mode json\nSELECT dyno, res FROM buckets WHERE dyno IN ('web.8','web.9');", db));
    expect(rows).toEqual([{ dyno: "web.9", res: 600 }]);
  });

  it("drops what each resolution no longer keeps", async () => {
    const db = path.join(dir, "prune.db");
    await writeMetrics(sampleSql([sample(T, 100)]), db);
    await writeMetrics(pruneSql(T + 3 * 3600_000), db);
    const left = JSON.parse(await runSql(".mode json\nSELECT res FROM buckets ORDER BY res;", db));
    expect(left.map((r: { res: number }) => r.res)).toEqual([600, 3600, 7200]);
    await writeMetrics(pruneSql(T + 8 * 86400_000), db);
    expect((await runSql("SELECT count(*) FROM buckets;", db)).trim()).toBe("0");
  });

  it("stays bounded: 8 days of a dyno's 20 s samples keep at most Heroku's buckets (488 rows, under 64 KB)", async () => {
    const db = path.join(dir, "week.db");
    const T0 = Date.parse("2026-11-01T00:00:00Z");
    const parts: string[] = [];
    for (let i = 0; i < (8 * 86400) / 20; i++) {
      parts.push(sampleSql([sample(T0 + i * 20_000, 300 + (i % 100))]));
      if (i % 180 === 0) parts.push(pruneSql(T0 + i * 20_000));
    }
    await writeMetrics(parts.join("\n"), db);
    await runSql("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;", db);
    // 120 + 144 + 72 + 84 buckets, plus what an hourly prune leaves of each window's edge.
    expect(Number((await runSql("SELECT count(*) FROM buckets;", db)).trim())).toBeLessThanOrEqual(488);
    expect(fs.statSync(db).size).toBeLessThan(64 * 1024);
  }, 30_000);
});

describe("router metrics in the store", () => {
  const req = (atMs: number, status: number, serviceMs: number, code?: string) => ({ atMs, status, serviceMs, code, websocket: false });

  it("adds hand-overs into the same buckets, merges histograms and errors, and keeps counters past pruning", async () => {
    const db = path.join(dir, "router.db");
    const buffer = new RouterBuffer();
    const handOver = async () => {
      const { buckets, totals } = buffer.take();
      const stored = await queryMetrics<StoredRouterText>(storedRouterTextSql(buckets), db);
      await writeMetrics([routerBucketSql(withStored(buckets, stored)), totalsSql(totals)].join("\n"), db);
    };
    buffer.add("sh'op", "web", "7d", req(T, 200, 10));
    buffer.add("sh'op", "web", "7d", req(T + 1000, 500, 30_000, "H12"));
    await handOver();
    buffer.add("sh'op", "web", "7d", req(T + 2000, 200, 10));
    buffer.add("sh'op", "web", "7d", req(T + 3000, 404, 2));
    await handOver();
    const rows = await queryMetrics<RouterRow>(routerMetricsQuery({ app: "sh'op", res: 60, sinceEpoch: 0 }), db);
    expect(rows.map((r) => [r.requests, r.s2xx, r.s4xx, r.s5xx, r.errors])).toEqual([[4, 2, 1, 1, "H12:1"]]);
    expect(histogramCount(decodeHistogram(rows[0].latency))).toBe(4);
    const totals = await queryMetrics<{ name: string; labels: string; value: number }>(
      "SELECT name, labels, value FROM totals ORDER BY name, labels;",
      db,
    );
    expect(totals).toContainEqual({ name: "router_requests_total", labels: 'status_class="2xx"', value: 2 });
    expect(totals).toContainEqual({ name: "router_response_time_ms_count", labels: "", value: 4 });
    await writeMetrics(pruneSql(T + 8 * 86400_000), db);
    expect(await queryMetrics(routerMetricsQuery({ app: "sh'op", res: 60, sinceEpoch: 0 }), db)).toEqual([]);
    expect((await queryMetrics("SELECT * FROM totals;", db)).length).toBe(totals.length);
  });
});
