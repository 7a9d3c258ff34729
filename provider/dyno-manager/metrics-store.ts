/**
 * The dyno manager's metrics store: one SQLite database on its volume
 * (`/var/lib/dynoform/metrics.db`), driven through Debian's `sqlite3` command (the manager's
 * image runs Debian's Node.js 18, which has no SQLite binding, and carries no node_modules).
 * SQLite keeps the file consistent across crashes of the manager and of the engine (WAL journal);
 * the schema is one table of buckets (metrics-plan.ts).
 *
 * The SQL text is built here (pure, unit-tested); `writeMetrics` runs it. `dynoform metrics` runs
 * `metricsQuery`'s SQL with `sqlite3 -json` inside the manager's container.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { bucketsFor, retentionCutoffs, type DynoSample, type Retention } from "./metrics-plan";
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

/** Deletes what each resolution no longer keeps at `nowMs`. */
export function pruneSql(nowMs: number): string {
  return retentionCutoffs(nowMs)
    .map((c) => `DELETE FROM buckets WHERE res=${c.res} AND start<${c.keepFrom};`)
    .join("\n");
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
export function runSql(sql: string, db = METRICS_DB): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("sqlite3", ["-cmd", ".timeout 5000", db], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`sqlite3 ${db}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(`${sql}\n`);
  });
}

/** Databases whose table exists (created once per manager start). */
const ready = new Set<string>();

/** Writes SQL in one transaction, creating the table on first use. */
export async function writeMetrics(sql: string, db = METRICS_DB): Promise<void> {
  if (!sql) return;
  const schema = ready.has(db) ? "" : `${SCHEMA}\n`;
  await runSql(`${schema}BEGIN;\n${sql}\nCOMMIT;`, db);
  ready.add(db);
}
