import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as store from "../../provider/dyno-manager/metrics-store";
import {
  buildReport,
  eventTotalsSql,
  presentSources,
  SOURCES,
  tablesSql,
  totalsSql,
  type SeriesQuery,
  type StoreRow,
} from "../../provider/metrics/metrics-series";
import { batchScript, splitResults } from "../../provider/metrics/store-reader";

/** Runs a batch as the dashboard does in the manager's container, here with this machine's sqlite3. */
const query = (db: string, statements: string[]): StoreRow[][] =>
  splitResults(execFileSync("sqlite3", ["-bail", "-json", db], { input: batchScript(statements) }).toString(), statements.length);

// The dashboard's SQL against the store's real schema (every CREATE TABLE metrics-store.ts
// exports, so a table another module adds is covered once it is there) in real SQLite, written
// by the store's own writers. No Docker.
describe("metrics series SQL on a real store", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-series-"));
  const db = path.join(dir, "metrics.db");
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the samples the manager writes as the charts' series, and a table the store lacks as none", async () => {
    const schemas = Object.values(store).filter((v): v is string => typeof v === "string" && v.includes("CREATE TABLE"));
    await store.runSql(schemas.join("\n"), db);
    const at = Date.UTC(2026, 0, 1, 12, 0, 30);
    const sample = { app: "shop", dyno: "web.1", processType: "web", retention: "7d" as const, quotaMb: 512, load: 0.5 };
    await store.writeMetrics(
      store.sampleSql([
        { ...sample, atMs: at, memoryMb: 100 },
        { ...sample, atMs: at + 1000, memoryMb: 200 },
      ]),
      db,
    );
    await store.writeMetrics(store.eventSql({ ...sample, atMs: at, kind: "crash" }), db);

    const tables = query(db, [tablesSql])[0].map((r) => String(r.name));
    const sources = presentSources(tables);
    expect(sources.map((s) => s.table)).toEqual(SOURCES.filter((s) => tables.includes(s.table)).map((s) => s.table));
    expect(sources.map((s) => s.table)).toContain("buckets");
    const now = Math.floor(at / 1000) + 30;
    const q: SeriesQuery = { app: "shop", processType: "web", res: 60, sinceEpoch: now - 7200 + 60, nowEpoch: now };
    const rows = query(
      db,
      sources.map((s) => s.sql(q)),
    );
    const report = buildReport(
      q,
      sources.map((s, i) => ({ source: s, rows: rows[i] })),
    );
    const memory = report.charts.find((c) => c.id === "memory")?.series ?? [];
    expect(memory.map((s) => [s.name, s.latest])).toEqual([
      ["web.1", 150],
      ["quota", 512],
    ]);
    const sum = (points: Array<number | null>) => points.reduce<number>((a, p) => a + (p ?? 0), 0);
    expect(report.charts.find((c) => c.id === "events")?.series.map((s) => [s.name, sum(s.points)])).toEqual([
      ["restarts", 0],
      ["crashes", 1],
    ]);
    // The counters' stand-in, and the totals query where the store has that table.
    const [events] = query(db, [eventTotalsSql("shop", 7200)]);
    expect(events).toEqual([{ app: "shop", process: "web", dyno: "web.1", restarts: 0, crashes: 1 }]);
    if (tables.includes("totals")) expect(query(db, [totalsSql(["shop"])])[0]).toEqual([]);
  });
});
