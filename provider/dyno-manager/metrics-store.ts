/**
 * The dyno manager's metrics store: one SQLite database on its volume
 * (`/var/lib/dynoform/metrics.db`), driven through Debian's `sqlite3` command (the manager's
 * image runs Debian's Node.js 18, which has no SQLite binding, and carries no node_modules).
 * SQLite keeps the file consistent across crashes of the manager and of the engine (WAL journal).
 * Tables: `buckets` (each dyno's memory, load, crashes and restarts), `router_buckets` (each app's
 * requests through its router, router-buckets.ts), both per resolution (metrics-plan.ts) and
 * pruned as they age; `totals`, cumulative counters never pruned (Prometheus counters).
 *
 * The SQL text is built here (pure, unit-tested); `writeMetrics` runs it. `dynoform metrics` runs
 * `metricsQuery`'s SQL with `sqlite3 -json` inside the manager's container.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { bucketsFor, retentionCutoffs, type DynoSample, type Retention } from "./metrics-plan";
import { encodeHistogram } from "./latency-histogram";
import { encodeErrors, type RouterBucket, type TotalDelta } from "./router-buckets";
import { DATA_DIR } from "./manager-state";

export const METRICS_DB = path.posix.join(DATA_DIR, "metrics.db");

/** A SQL string literal ('' doubles a quote): the values are labels Dynoform set, quoted all the same. */
export const sqlText = (v: string): string => `'${v.replace(/'/g, "''")}'`;
const sqlNumber = (v: number): string => (Number.isFinite(v) ? String(v) : "0");

export const SCHEMA = `PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS buckets (
  app TEXT NOT NULL, dyno TEXT NOT NULL, process TEXT NOT NULL,
  res INTEGER NOT NULL, start INTEGER NOT NULL,
  samples INTEGER NOT NULL DEFAULT 0,
  mem_sum REAL NOT NULL DEFAULT 0, mem_max REAL NOT NULL DEFAULT 0, quota REAL NOT NULL DEFAULT 0,
  load_sum REAL NOT NULL DEFAULT 0, load_max REAL NOT NULL DEFAULT 0,
  restarts INTEGER NOT NULL DEFAULT 0, crashes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (app, dyno, res, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS router_buckets (
  app TEXT NOT NULL, process TEXT NOT NULL, res INTEGER NOT NULL, start INTEGER NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  s2xx INTEGER NOT NULL DEFAULT 0, s3xx INTEGER NOT NULL DEFAULT 0, s4xx INTEGER NOT NULL DEFAULT 0, s5xx INTEGER NOT NULL DEFAULT 0,
  latency TEXT NOT NULL DEFAULT '', errors TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (app, process, res, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS totals (
  app TEXT NOT NULL, process TEXT NOT NULL, dyno TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL,
  value REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (app, process, dyno, name, labels)
) WITHOUT ROWID;`;

/** Folds samples into their buckets. */
export function sampleSql(samples: DynoSample[]): string {
  const rows = samples.flatMap((s) =>
    bucketsFor(s.retention, s.atMs).map(
      (b) =>
        `(${[sqlText(s.app), sqlText(s.dyno), sqlText(s.processType), b.res, b.start].join(",")},1,${sqlNumber(s.memoryMb)},${sqlNumber(s.memoryMb)},${sqlNumber(s.quotaMb)},${sqlNumber(s.load)},${sqlNumber(s.load)})`,
    ),
  );
  if (rows.length === 0) return "";
  return `INSERT INTO buckets (app,dyno,process,res,start,samples,mem_sum,mem_max,quota,load_sum,load_max) VALUES ${rows.join(",")}
ON CONFLICT (app,dyno,res,start) DO UPDATE SET samples=samples+1, mem_sum=mem_sum+excluded.mem_sum, mem_max=max(mem_max,excluded.mem_max),
  quota=excluded.quota, load_sum=load_sum+excluded.load_sum, load_max=max(load_max,excluded.load_max);`;
}

/** A dyno's crash (the manager counted it) or restart (a fresh container started), in its buckets. */
export interface DynoEvent {
  app: string;
  dyno: string;
  processType: string;
  retention: Retention;
  atMs: number;
  kind: "crash" | "restart";
}

export function eventSql(e: DynoEvent): string {
  const column = e.kind === "crash" ? "crashes" : "restarts";
  const rows = bucketsFor(e.retention, e.atMs).map(
    (b) => `(${[sqlText(e.app), sqlText(e.dyno), sqlText(e.processType), b.res, b.start].join(",")},1)`,
  );
  if (rows.length === 0) return "";
  return `INSERT INTO buckets (app,dyno,process,res,start,${column}) VALUES ${rows.join(",")}
ON CONFLICT (app,dyno,res,start) DO UPDATE SET ${column}=${column}+1;`;
}

/** Deletes what each resolution no longer keeps at `nowMs` (`totals` are counters: never pruned). */
export function pruneSql(nowMs: number): string {
  return retentionCutoffs(nowMs)
    .flatMap((c) => ["buckets", "router_buckets"].map((t) => `DELETE FROM ${t} WHERE res=${c.res} AND start<${c.keepFrom};`))
    .join("\n");
}

const routerKey = (b: { app: string; process: string; res: number; start: number }) =>
  `(${[sqlText(b.app), sqlText(b.process), b.res, b.start].join(",")})`;

/** The stored histogram and errors of these buckets (router-buckets.ts withStored merges them). */
export function storedRouterTextSql(buckets: RouterBucket[]): string {
  if (buckets.length === 0) return "";
  return `SELECT app, process, res, start, latency, errors FROM router_buckets WHERE (app,process,res,start) IN (VALUES ${buckets.map(routerKey).join(",")});`;
}

/** Adds buckets' counts; their histogram and errors must already include what is stored (withStored). */
export function routerBucketSql(buckets: RouterBucket[]): string {
  if (buckets.length === 0) return "";
  const rows = buckets.map(
    (b) =>
      `(${[sqlText(b.app), sqlText(b.process), b.res, b.start, b.requests, b.s2xx, b.s3xx, b.s4xx, b.s5xx, sqlText(encodeHistogram(b.latency)), sqlText(encodeErrors(b.errors))].join(",")})`,
  );
  return `INSERT INTO router_buckets (app,process,res,start,requests,s2xx,s3xx,s4xx,s5xx,latency,errors) VALUES ${rows.join(",")}
ON CONFLICT (app,process,res,start) DO UPDATE SET requests=requests+excluded.requests, s2xx=s2xx+excluded.s2xx, s3xx=s3xx+excluded.s3xx,
  s4xx=s4xx+excluded.s4xx, s5xx=s5xx+excluded.s5xx, latency=excluded.latency, errors=excluded.errors;`;
}

/** Adds to cumulative counters. */
export function totalsSql(deltas: TotalDelta[]): string {
  if (deltas.length === 0) return "";
  const rows = deltas.map(
    (d) => `(${[sqlText(d.app), sqlText(d.process), sqlText(d.dyno), sqlText(d.name), sqlText(d.labels), sqlNumber(d.value)].join(",")})`,
  );
  return `INSERT INTO totals (app,process,dyno,name,labels,value) VALUES ${rows.join(",")}
ON CONFLICT (app,process,dyno,name,labels) DO UPDATE SET value=value+excluded.value;`;
}

/** One router bucket as `dynoform metrics` reads it. */
export interface RouterRow {
  process: string;
  start: number;
  requests: number;
  s2xx: number;
  s3xx: number;
  s4xx: number;
  s5xx: number;
  latency: string;
  errors: string;
}

/** An app's router buckets of one resolution since `sinceEpoch`, oldest first. */
export function routerMetricsQuery(q: { app: string; processType?: string; res: number; sinceEpoch: number }): string {
  const where = [`app=${sqlText(q.app)}`, `res=${q.res}`, `start>=${q.sinceEpoch}`];
  if (q.processType) where.push(`process=${sqlText(q.processType)}`);
  return `SELECT process, start, requests, s2xx, s3xx, s4xx, s5xx, latency, errors FROM router_buckets WHERE ${where.join(" AND ")} ORDER BY process, start;`;
}

/** One bucket as `dynoform metrics` reads it. */
export interface MetricsRow {
  dyno: string;
  process: string;
  start: number;
  samples: number;
  mem_avg: number | null;
  mem_max: number;
  quota: number;
  load_avg: number | null;
  load_max: number;
  restarts: number;
  crashes: number;
}

/** An app's buckets of one resolution since `sinceEpoch`, per dyno, oldest first. */
export function metricsQuery(q: { app: string; processType?: string; res: number; sinceEpoch: number }): string {
  const where = [`app=${sqlText(q.app)}`, `res=${q.res}`, `start>=${q.sinceEpoch}`];
  if (q.processType) where.push(`process=${sqlText(q.processType)}`);
  return `SELECT dyno, process, start, samples, CASE WHEN samples>0 THEN mem_sum/samples END AS mem_avg, mem_max, quota,
  CASE WHEN samples>0 THEN load_sum/samples END AS load_avg, load_max, restarts, crashes
FROM buckets WHERE ${where.join(" AND ")} ORDER BY dyno, start;`;
}

/** Runs SQL against the store with Debian's `sqlite3` (waits up to 5 s for a reader's lock). */
export function runSql(sql: string, db = METRICS_DB, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("sqlite3", [...args, "-cmd", ".timeout 5000", db], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`sqlite3 ${db}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(`${sql}\n`);
  });
}

/** Databases whose table exists (created once per manager start). */
const ready = new Set<string>();

/** Writes SQL in one transaction, creating the tables on first use. */
export async function writeMetrics(sql: string, db = METRICS_DB): Promise<void> {
  if (!sql) return;
  const schema = ready.has(db) ? "" : `${SCHEMA}\n`;
  await runSql(`${schema}BEGIN;\n${sql}\nCOMMIT;`, db);
  ready.add(db);
}

/** Rows a query returns (`sqlite3 -json`), creating the tables first when this manager has not yet. */
export async function queryMetrics<T>(sql: string, db = METRICS_DB): Promise<T[]> {
  if (!sql) return [];
  if (!ready.has(db)) {
    await runSql(SCHEMA, db);
    ready.add(db);
  }
  const out = (await runSql(sql, db, ["-json"])).trim();
  return out ? (JSON.parse(out) as T[]) : [];
}
