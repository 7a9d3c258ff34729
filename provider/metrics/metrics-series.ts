/**
 * The dyno manager's metrics store, as named series: the one place that knows which table holds
 * which series. The dashboard's charts, its JSON API and the Prometheus endpoint all read through
 * it. Pure: it writes SQL text and turns the rows `sqlite3 -json` returns into series; running the
 * SQL is store-reader.ts's.
 *
 * A table is one {@link SeriesSource} in {@link SOURCES}: its name (a source whose table the store
 * does not have yet gives no series, not an error, so a store written by an older manager reads
 * fine), its SQL, and its rows → series. A new table of metrics is one more entry, and its charts
 * one more entry in {@link CHARTS}.
 */
import { sqlText } from "../dyno-manager/metrics-store";
import { decodeHistogram, mergeInto, quantileMs, type LatencyHistogram } from "../dyno-manager/latency-histogram";

/** A row as `sqlite3 -json` prints it. */
export type StoreRow = Record<string, string | number | null>;

/** What one chart or export reads: an app's buckets of one resolution over a window. */
export interface SeriesQuery {
  app: string;
  /** One process type; every type when absent. */
  processType?: string;
  /** Bucket size, seconds: one of the tier's resolutions (metrics-plan.ts). */
  res: number;
  /** First bucket start, epoch seconds (aligned to `res`). */
  sinceEpoch: number;
  /** Now, epoch seconds: the last bucket is the one now falls in. */
  nowEpoch: number;
}

/** The bucket starts a query's series are laid on, oldest first. */
export function gridOf(q: SeriesQuery): number[] {
  const first = q.sinceEpoch - (q.sinceEpoch % q.res);
  const last = q.nowEpoch - (q.nowEpoch % q.res);
  const out: number[] = [];
  for (let t = first; t <= last; t += q.res) out.push(t);
  return out;
}

/** One line of a chart: a value per grid point (null: no data in that bucket). */
export interface Series {
  chart: ChartId;
  /** What the legend shows: `web.1`, `p95`, `2xx`, `H12`, `quota`. */
  name: string;
  /** What tells it apart from the chart's other series (dyno, quantile, status class, code). */
  labels: Record<string, string>;
  points: Array<number | null>;
  /** The newest non-null point: what the page's legend and the Prometheus gauges show. */
  latest: number | null;
}

export type ChartId = "memory" | "load" | "response_time" | "throughput" | "errors" | "events" | "heap" | "gc" | "event_loop_delay";

/** A chart of the page, in the order shown. */
export interface ChartSpec {
  id: ChartId;
  title: string;
  unit: string;
  /** Series drawn dashed as a limit (the memory quota), not as data. */
  limit?: string;
  /** Left off the page when it has no data: language metrics exist only for apps that have them. */
  optional?: boolean;
}

export const CHARTS: readonly ChartSpec[] = [
  { id: "memory", title: "Memory usage", unit: "MB", limit: "quota" },
  { id: "load", title: "Dyno load", unit: "" },
  { id: "response_time", title: "Response time", unit: "ms" },
  { id: "throughput", title: "Throughput", unit: "rpm" },
  { id: "errors", title: "Router errors", unit: "rpm" },
  { id: "events", title: "Restarts and crashes", unit: "per bucket" },
  { id: "heap", title: "Node.js heap in use", unit: "MB", optional: true },
  { id: "gc", title: "Node.js time in GC", unit: "ms per minute", optional: true },
  { id: "event_loop_delay", title: "Node.js event-loop delay p99", unit: "ms", optional: true },
];

/** One table of the store: its SQL and its rows as series. */
export interface SeriesSource {
  table: string;
  sql(q: SeriesQuery): string;
  series(rows: StoreRow[], q: SeriesQuery, grid: number[]): Series[];
}

const num = (v: string | number | null | undefined): number => (typeof v === "number" ? v : Number(v ?? 0) || 0);
const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

function where(q: SeriesQuery): string {
  const w = [`app=${sqlText(q.app)}`, `res=${Math.floor(q.res)}`, `start>=${Math.floor(q.sinceEpoch)}`];
  if (q.processType) w.push(`process=${sqlText(q.processType)}`);
  return w.join(" AND ");
}

/** Lays `value` of each row on the grid by its `start`; `fill` where no row is (null: a gap). */
function onGrid(rows: StoreRow[], grid: number[], value: (r: StoreRow) => number | null, fill: number | null = null): Array<number | null> {
  const at = new Map<number, number | null>();
  for (const r of rows) at.set(num(r.start), value(r));
  return grid.map((t) => (at.has(t) ? (at.get(t) ?? fill) : fill));
}

/** Sums rows with the same `start` (several dynos or process types in one bucket). */
function sumOnGrid(rows: StoreRow[], grid: number[], value: (r: StoreRow) => number): number[] {
  const at = new Map<number, number>();
  for (const r of rows) at.set(num(r.start), (at.get(num(r.start)) ?? 0) + value(r));
  return grid.map((t) => at.get(t) ?? 0);
}

const latestOf = (points: Array<number | null>): number | null => {
  for (let i = points.length - 1; i >= 0; i--) if (points[i] !== null) return points[i];
  return null;
};

function series(chart: ChartId, name: string, labels: Record<string, string>, points: Array<number | null>): Series {
  return { chart, name, labels, points, latest: latestOf(points) };
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

/** `buckets` (metrics-store.ts): per dyno memory, quota, load, restarts and crashes. */
export const dynoBuckets: SeriesSource = {
  table: "buckets",
  sql: (q) =>
    `SELECT dyno, process, start, samples, mem_sum, quota, load_sum, restarts, crashes FROM buckets WHERE ${where(q)} ORDER BY dyno, start;`,
  series(rows, _q, grid) {
    const out: Series[] = [];
    const dynos = [...new Set(rows.map((r) => String(r.dyno)))].sort(byName);
    const avg = (column: string) => (r: StoreRow) => (num(r.samples) > 0 ? round(num(r[column]) / num(r.samples)) : null);
    for (const dyno of dynos) {
      const mine = rows.filter((r) => r.dyno === dyno);
      const labels = { dyno, process_type: String(mine[0].process) };
      out.push(series("memory", dyno, labels, onGrid(mine, grid, avg("mem_sum"))));
      out.push(series("load", dyno, labels, onGrid(mine, grid, avg("load_sum"))));
    }
    // The quota is the size's: one line per process type, where a dyno of it reported.
    for (const type of [...new Set(rows.map((r) => String(r.process)))].sort(byName)) {
      const sampled = rows.filter((r) => r.process === type && num(r.samples) > 0);
      const points = onGrid(sampled, grid, (r) => num(r.quota));
      out.push(series("memory", "quota", { process_type: type }, points));
    }
    if (rows.length > 0) {
      out.push(
        series(
          "events",
          "restarts",
          {},
          sumOnGrid(rows, grid, (r) => num(r.restarts)),
        ),
      );
      out.push(
        series(
          "events",
          "crashes",
          {},
          sumOnGrid(rows, grid, (r) => num(r.crashes)),
        ),
      );
    }
    return out;
  },
};

export const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx"] as const;
export const QUANTILES = [
  { name: "p50", q: 0.5 },
  { name: "p95", q: 0.95 },
  { name: "p99", q: 0.99 },
] as const;

/** `H12:3,H10:1` → counts per code. */
export function decodeErrors(text: string | number | null | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of String(text ?? "").split(",")) {
    const [code, n] = part.split(":");
    if (code && Number(n) > 0) out.set(code.trim(), (out.get(code.trim()) ?? 0) + Number(n));
  }
  return out;
}

/**
 * `router_buckets`: per app and process type, requests by status class, the response-time
 * histogram and router errors by code. Rates are per minute (Heroku's rpm) whatever the resolution.
 */
export const routerBuckets: SeriesSource = {
  table: "router_buckets",
  sql: (q) =>
    `SELECT process, start, requests, s2xx, s3xx, s4xx, s5xx, latency, errors FROM router_buckets WHERE ${where(q)} ORDER BY start;`,
  series(rows, q, grid) {
    if (rows.length === 0) return [];
    const perMinute = 60 / q.res;
    const out: Series[] = [];
    for (const cls of STATUS_CLASSES) {
      const column = `s${cls}`;
      out.push(
        series(
          "throughput",
          cls,
          { status_class: cls },
          sumOnGrid(rows, grid, (r) => round(num(r[column]) * perMinute)),
        ),
      );
    }
    const histograms = new Map<number, LatencyHistogram>();
    for (const r of rows) {
      const h = histograms.get(num(r.start)) ?? new Map();
      mergeInto(h, decodeHistogram(r.latency === null ? "" : String(r.latency)));
      histograms.set(num(r.start), h);
    }
    for (const { name, q: quantile } of QUANTILES) {
      const points = grid.map((t) => {
        const h = histograms.get(t);
        const v = h ? quantileMs(h, quantile) : undefined;
        return v === undefined ? null : round(v, 1);
      });
      out.push(series("response_time", name, { quantile: String(quantile) }, points));
    }
    const codes = [...new Set(rows.flatMap((r) => [...decodeErrors(r.errors).keys()]))].sort(byName);
    for (const code of codes) {
      out.push(
        series(
          "errors",
          code,
          { code },
          sumOnGrid(rows, grid, (r) => round((decodeErrors(r.errors).get(code) ?? 0) * perMinute)),
        ),
      );
    }
    return out;
  },
};

/**
 * `runtime_buckets` (Node.js runtime metrics of Standard and up): per dyno heap in use (MB), GC
 * time per minute of run time (ms) and the event loop's p99 delay (ms, the bucket's worst).
 */
export const runtimeBuckets: SeriesSource = {
  table: "runtime_buckets",
  sql: (q) =>
    `SELECT dyno, process, start, samples, seconds, heap_sum, gc_ms_sum, eld_samples, eld_p99_max FROM runtime_buckets WHERE ${where(q)} ORDER BY dyno, start;`,
  series(rows, _q, grid) {
    const out: Series[] = [];
    for (const dyno of [...new Set(rows.map((r) => String(r.dyno)))].sort(byName)) {
      const mine = rows.filter((r) => r.dyno === dyno);
      const labels = { dyno, process_type: String(mine[0].process) };
      out.push(
        series(
          "heap",
          dyno,
          labels,
          onGrid(mine, grid, (r) => (num(r.samples) > 0 ? round(num(r.heap_sum) / num(r.samples)) : null)),
        ),
      );
      out.push(
        series(
          "gc",
          dyno,
          labels,
          onGrid(mine, grid, (r) => (num(r.seconds) > 0 ? round((num(r.gc_ms_sum) * 60) / num(r.seconds)) : null)),
        ),
      );
      out.push(
        series(
          "event_loop_delay",
          dyno,
          labels,
          onGrid(mine, grid, (r) => (num(r.eld_samples) > 0 ? round(num(r.eld_p99_max)) : null)),
        ),
      );
    }
    return out;
  },
};

/** Every table the charts read, in the order their series are listed. */
export const SOURCES: readonly SeriesSource[] = [dynoBuckets, routerBuckets, runtimeBuckets];

/** The store's tables, as {@link tablesSql} lists them. */
export const tablesSql = "SELECT name FROM sqlite_master WHERE type='table';";

/** The sources whose table exists in the store: the ones a query may name. */
export const presentSources = (tables: Iterable<string>, sources: readonly SeriesSource[] = SOURCES): SeriesSource[] => {
  const have = new Set(tables);
  return sources.filter((s) => have.has(s.table));
};

/** A chart with its series, as the page draws it and the JSON API returns it. */
export interface Chart extends ChartSpec {
  series: Series[];
}

/** An app's charts over a window: the JSON API's answer. */
export interface MetricsReport {
  app: string;
  processType: string | null;
  resolutionSeconds: number;
  /** The grid's bucket starts, epoch seconds: `points[i]` of every series is at `times[i]`. */
  times: number[];
  charts: Chart[];
}

/**
 * Rows of each source (as `presentSources` gave them, same order) → the report. The grid starts at
 * the window's start or at the first bucket with data, whichever is later: an app started ten
 * minutes ago shows ten minutes, not a long empty past (the window is still what was asked).
 */
export function buildReport(q: SeriesQuery, rowsBySource: Array<{ source: SeriesSource; rows: StoreRow[] }>): MetricsReport {
  const starts = rowsBySource.flatMap(({ rows }) => rows.map((r) => num(r.start)));
  const grid = gridOf(starts.length ? { ...q, sinceEpoch: Math.max(q.sinceEpoch, Math.min(...starts)) } : q);
  const all = rowsBySource.flatMap(({ source, rows }) => source.series(rows, q, grid));
  return {
    app: q.app,
    processType: q.processType ?? null,
    resolutionSeconds: q.res,
    times: grid,
    charts: CHARTS.map((c) => ({ ...c, series: all.filter((s) => s.chart === c.id) })),
  };
}

/**
 * `totals`: cumulative counters that are never pruned (restarts, crashes, requests by status
 * class, router errors by code, response-time sum and count), as Prometheus counters want them.
 */
export interface TotalRow {
  app: string;
  process: string;
  dyno: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

export const totalsSql = (apps: string[]): string =>
  apps.length === 0
    ? "SELECT app, process, dyno, name, labels, value FROM totals WHERE 0;"
    : `SELECT app, process, dyno, name, labels, value FROM totals WHERE app IN (${apps.map(sqlText).join(",")}) ORDER BY app, process, dyno, name, labels;`;

/** `status_class="2xx",code="H12"` (or a JSON object) → labels. */
export function parseLabels(text: string | number | null | undefined): Record<string, string> {
  const s = String(text ?? "").trim();
  if (s.startsWith("{")) {
    try {
      const o = JSON.parse(s) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
    } catch {
      // Not JSON after all: read it as Prometheus-style pairs below.
    }
  }
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) out[m[1]] = m[2].replace(/\\(.)/g, "$1");
  return out;
}

export const totalRows = (rows: StoreRow[]): TotalRow[] =>
  rows.map((r) => ({
    app: String(r.app ?? ""),
    process: String(r.process ?? ""),
    dyno: String(r.dyno ?? ""),
    name: String(r.name ?? ""),
    labels: parseLabels(r.labels),
    value: num(r.value),
  }));

/**
 * Restarts and crashes per dyno over everything a resolution keeps: the counters' stand-in when
 * the store has no `totals` table yet (they then fall back as old buckets are pruned, which
 * Prometheus reads as a counter reset).
 */
export const eventTotalsSql = (app: string, res: number): string =>
  `SELECT ${sqlText(app)} AS app, process, dyno, SUM(restarts) AS restarts, SUM(crashes) AS crashes FROM buckets WHERE app=${sqlText(app)} AND res=${Math.floor(res)} GROUP BY process, dyno ORDER BY dyno;`;

export function eventTotals(rows: StoreRow[]): TotalRow[] {
  return rows.flatMap((r) =>
    (["restarts", "crashes"] as const).map((k) => ({
      app: String(r.app),
      process: String(r.process),
      dyno: String(r.dyno),
      name: `dyno_${k}_total`,
      labels: {},
      value: num(r[k]),
    })),
  );
}
