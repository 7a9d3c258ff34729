import Docker from "dockerode";
import type { CommandIO } from "./check";
import { parseArgs } from "./args";
import { sparkline } from "./sparkline";
import { LABEL } from "../provider/docker/labels";
import { readMetrics, readRouterMetrics, readRuntimeMetrics } from "../provider/formations/dyno-manager-controller";
import { parseSpan, RESOLUTIONS, resolutionFor, widestRetention, type Retention } from "../provider/dyno-manager/metrics-plan";
import type { MetricsRow, RouterRow, RuntimeRow } from "../provider/dyno-manager/metrics-store";
import { decodeHistogram, mergeInto, quantileMs, type LatencyHistogram } from "../provider/dyno-manager/latency-histogram";
import { decodeErrors } from "../provider/dyno-manager/router-buckets";

const USAGE = "usage: dynoform metrics --app NAME [--type TYPE] [--since 2h]\n";

export interface MetricsRequest {
  app: string;
  processType?: string;
  sinceSeconds: number;
}

/** Reads the flags (`-a` for `--app`); a string is the usage error to print. */
export function parseMetricsArgs(args: string[]): MetricsRequest | string {
  const { flags, positional } = parseArgs(args, ["app", "a", "type", "since"]);
  const str = (...names: string[]) => names.map((n) => flags[n]).find((v): v is string => typeof v === "string" && v !== "");
  const app = str("app", "a");
  if (!app || positional.length > 0) return USAGE;
  const since = str("since") ?? "2h";
  const sinceSeconds = parseSpan(since);
  if (sinceSeconds === undefined) return `dynoform metrics: --since wants a span such as 30m, 2h, 3d or 7d, not "${since}"\n${USAGE}`;
  return { app, processType: str("type"), sinceSeconds };
}

const span = (seconds: number) =>
  seconds % 86400 === 0 && seconds > 86400
    ? `${seconds / 86400}d`
    : seconds % 3600 === 0
      ? `${seconds / 3600}h`
      : `${Math.round(seconds / 60)}m`;
const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

/**
 * Per dyno, per series, the numbers and a sparkline over `[sinceEpoch, nowEpoch)` at `res`
 * seconds a point, from the first bucket with data on (a bucket without samples is a gap). Pure.
 */
export function renderMetrics(
  rows: MetricsRow[],
  q: { res: number; sinceEpoch: number; nowEpoch: number },
  runtime: RuntimeRow[] = [],
): string {
  // From the first bucket with data: a dyno started an hour ago has no empty hour before it.
  const first = Math.max(q.sinceEpoch - (q.sinceEpoch % q.res), Math.min(...rows.map((r) => r.start)));
  const points = Math.max(1, Math.ceil((q.nowEpoch - first) / q.res));
  const out: string[] = [];
  const dynos = [...new Set(rows.map((r) => r.dyno))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  for (const dyno of dynos) {
    const mine = rows.filter((r) => r.dyno === dyno);
    const at = new Map(mine.map((r) => [Math.round((r.start - first) / q.res), r]));
    /** One point per bucket; `sampledOnly`: a bucket with only a crash or restart in it is a gap. */
    const series = (f: (r: MetricsRow) => number | null, sampledOnly = true) =>
      Array.from({ length: points }, (_, i) => {
        const r = at.get(i);
        return r && (r.samples > 0 || !sampledOnly) ? f(r) : null;
      });
    const sampled = mine.filter((r) => r.samples > 0);
    const last = sampled.at(-1);
    const quota = last?.quota ?? mine.at(-1)?.quota ?? 0;
    const memMax = Math.max(...sampled.map((r) => r.mem_max));
    const memAvg =
      sampled.reduce((a, r) => a + (r.mem_avg ?? 0) * r.samples, 0) /
      Math.max(
        1,
        sampled.reduce((a, r) => a + r.samples, 0),
      );
    const loadMax = Math.max(...sampled.map((r) => r.load_max));
    const loadAvg =
      sampled.reduce((a, r) => a + (r.load_avg ?? 0) * r.samples, 0) /
      Math.max(
        1,
        sampled.reduce((a, r) => a + r.samples, 0),
      );
    const pct = (mb: number) => (quota > 0 ? `${fixed((mb / quota) * 100, 1)}%` : "–");
    out.push(`=== ${dyno}${quota ? ` (quota ${Math.round(quota)} MB)` : ""}`);
    if (sampled.length > 0) {
      out.push(
        `memory  ${sparkline(series((r) => r.mem_max))}  now ${fixed(last?.mem_avg ?? 0, 0)} MB (${pct(last?.mem_avg ?? 0)})  avg ${fixed(memAvg, 0)} MB  max ${fixed(memMax, 0)} MB (${pct(memMax)})`,
      );
      out.push(
        `load    ${sparkline(series((r) => r.load_max))}  now ${fixed(last?.load_avg ?? 0, 2)}  avg ${fixed(loadAvg, 2)}  max ${fixed(loadMax, 2)}`,
      );
    } else out.push("memory  no samples in this span");
    out.push(
      ...runtimeLines(
        runtime.filter((r) => r.dyno === dyno),
        first,
        points,
        q.res,
      ),
    );
    const restarts = mine.reduce((a, r) => a + r.restarts, 0);
    const crashes = mine.reduce((a, r) => a + r.crashes, 0);
    out.push(
      `events  ${sparkline(
        series((r) => r.crashes + r.restarts, false),
        60,
        0,
      )}  crashes ${crashes}  restarts ${restarts}`,
    );
    out.push("");
  }
  return out.join("\n");
}

/** The message for a span longer than the tier keeps (Basic: 24 h; Standard and up: 7 days), or undefined. */
export function beyondRetention(app: string, retention: Retention, sinceSeconds: number): string | undefined {
  const kept = Math.max(0, ...RESOLUTIONS[retention].map((r) => r.windowSeconds));
  if (kept === 0 || sinceSeconds <= kept) return undefined;
  const tier = retention === "24h" ? "Basic" : "Standard, Performance, Private and Shield";
  return `dynoform metrics: app ${app} keeps metrics for ${span(kept)} (its tier: ${tier}); --since ${span(sinceSeconds)} asks for more than that. Use --since ${span(kept)} or less.\n`;
}

/** The points of a chart over `[sinceEpoch, nowEpoch)`, from the first bucket with data on. */
function timeline(starts: number[], q: { res: number; sinceEpoch: number; nowEpoch: number }) {
  const first = Math.max(q.sinceEpoch - (q.sinceEpoch % q.res), Math.min(...starts));
  const points = Math.max(1, Math.ceil((q.nowEpoch - first) / q.res));
  return { points, index: (start: number) => Math.round((start - first) / q.res) };
}

const byType = (a: string, b: string) => (a === "web" ? -1 : b === "web" ? 1 : a.localeCompare(b));

/**
 * A Node.js dyno's language runtime series (none for other dynos): heap in use, GC time per
 * minute, event-loop delay (p99 charted; mean and max beside), on the dyno section's time axis.
 */
export function runtimeLines(rows: RuntimeRow[], first: number, points: number, res: number): string[] {
  const sampled = rows.filter((r) => r.samples > 0);
  if (sampled.length === 0) return [];
  const at = new Map(sampled.map((r) => [Math.round((r.start - first) / res), r]));
  const series = (f: (r: RuntimeRow) => number | null) => Array.from({ length: points }, (_, i) => (at.has(i) ? f(at.get(i)!) : null));
  const last = sampled[sampled.length - 1];
  const samples = sampled.reduce((a, r) => a + r.samples, 0);
  const heapAvg = sampled.reduce((a, r) => a + (r.heap_avg ?? 0) * r.samples, 0) / samples;
  const heapMax = Math.max(...sampled.map((r) => r.heap_max));
  const gcs = sampled.map((r) => r.gc_ms_per_min).filter((v): v is number => v !== null);
  const gcAvg = gcs.length ? gcs.reduce((a, v) => a + v, 0) / gcs.length : Number.NaN;
  const delays = sampled.filter((r) => r.eld_p99 !== null);
  const out = [
    `heap    ${sparkline(series((r) => r.heap_max))}  now ${fixed(last.heap_avg ?? Number.NaN, 1)} MB  avg ${fixed(heapAvg, 1)} MB  max ${fixed(heapMax, 1)} MB (allocated ${fixed(Math.max(...sampled.map((r) => r.heap_total_max)), 1)} MB)`,
    `gc      ${sparkline(
      series((r) => r.gc_ms_per_min),
      60,
      0,
    )}  now ${fixed(last.gc_ms_per_min ?? Number.NaN, 1)} ms/min  avg ${fixed(gcAvg, 1)} ms/min  max ${fixed(Math.max(...gcs), 1)} ms/min`,
  ];
  if (delays.length > 0) {
    const meanAvg = delays.reduce((a, r) => a + (r.eld_mean ?? 0) * r.samples, 0) / delays.reduce((a, r) => a + r.samples, 0);
    out.push(
      `delay   ${sparkline(
        series((r) => r.eld_p99),
        60,
        0,
      )}  p99 now ${fixed(last.eld_p99 ?? Number.NaN, 1)} ms  max ${fixed(Math.max(...delays.map((r) => r.eld_p99 ?? 0)), 1)} ms  mean ${fixed(meanAvg, 1)} ms  longest ${fixed(Math.max(...delays.map((r) => r.eld_max ?? 0)), 1)} ms`,
    );
  }
  return out;
}

/**
 * Per process type, its dynos together: memory (mean over the dynos' samples, and the highest
 * any dyno reached) and load, a point per bucket. Pure.
 */
export function renderProcessTypes(rows: MetricsRow[], q: { res: number; sinceEpoch: number; nowEpoch: number }): string {
  const sampled = rows.filter((r) => r.samples > 0);
  if (sampled.length === 0) return "";
  const { points, index } = timeline(
    sampled.map((r) => r.start),
    q,
  );
  const out: string[] = [];
  for (const type of [...new Set(sampled.map((r) => r.process))].sort(byType)) {
    const mine = sampled.filter((r) => r.process === type);
    const dynos = new Set(mine.map((r) => r.dyno)).size;
    const sums = Array.from({ length: points }, () => ({ samples: 0, mem: 0, memMax: 0, load: 0, loadMax: 0 }));
    for (const r of mine) {
      const p = sums[index(r.start)];
      if (!p) continue;
      p.samples += r.samples;
      p.mem += (r.mem_avg ?? 0) * r.samples;
      p.memMax = Math.max(p.memMax, r.mem_max);
      p.load += (r.load_avg ?? 0) * r.samples;
      p.loadMax = Math.max(p.loadMax, r.load_max);
    }
    const total = sums.reduce((a, p) => a + p.samples, 0);
    const mean = (k: "mem" | "load") => sums.reduce((a, p) => a + p[k], 0) / Math.max(1, total);
    const max = (k: "memMax" | "loadMax") => Math.max(...sums.map((p) => p[k]));
    const series = (f: (p: (typeof sums)[number]) => number) => sums.map((p) => (p.samples > 0 ? f(p) : null));
    out.push(`=== ${type} (${dynos} dyno${dynos === 1 ? "" : "s"})`);
    out.push(`memory  ${sparkline(series((p) => p.mem / p.samples))}  mean ${fixed(mean("mem"), 0)} MB  max ${fixed(max("memMax"), 0)} MB`);
    out.push(`load    ${sparkline(series((p) => p.load / p.samples))}  mean ${fixed(mean("load"), 2)}  max ${fixed(max("loadMax"), 2)}`);
    out.push("");
  }
  return out.join("\n");
}

/**
 * Per process type (web: router traffic is web traffic), the router's series: throughput per
 * status class in requests per minute, response time p50, p95 and p99 (read off the buckets'
 * histograms: each the upper bound of its histogram bucket, at most 20% above the truth), and
 * router errors by code. Pure.
 */
export function renderRouter(rows: RouterRow[], q: { res: number; sinceEpoch: number; nowEpoch: number }): string {
  if (rows.length === 0) return "";
  const { points, index } = timeline(
    rows.map((r) => r.start),
    q,
  );
  const perMinute = 60 / q.res;
  const out: string[] = [];
  for (const type of [...new Set(rows.map((r) => r.process))].sort(byType)) {
    const at = new Map<number, RouterRow>();
    for (const r of rows.filter((x) => x.process === type)) at.set(index(r.start), r);
    const series = (f: (r: RouterRow) => number | undefined) =>
      Array.from({ length: points }, (_, i) => {
        const r = at.get(i);
        return r ? (f(r) ?? null) : null;
      });
    const mine = [...at.values()];
    const requests = mine.reduce((a, r) => a + r.requests, 0);
    const minutes = (points * q.res) / 60;
    out.push(`=== ${type} router (${requests} request${requests === 1 ? "" : "s"})`);
    for (const cls of ["2xx", "3xx", "4xx", "5xx"] as const) {
      const k = `s${cls}` as "s2xx";
      const n = mine.reduce((a, r) => a + r[k], 0);
      out.push(
        `${`throughput ${cls}`.padEnd(14)}  ${sparkline(
          series((r) => r[k] * perMinute),
          60,
          0,
        )}  ${fixed(n / minutes, 1)} req/min (${n})`,
      );
    }
    const all: LatencyHistogram = new Map();
    for (const r of mine) mergeInto(all, decodeHistogram(r.latency));
    for (const [name, qn] of [
      ["p50", 0.5],
      ["p95", 0.95],
      ["p99", 0.99],
    ] as const) {
      const overall = quantileMs(all, qn);
      out.push(
        `${`response ${name}`.padEnd(14)}  ${sparkline(series((r) => quantileMs(decodeHistogram(r.latency), qn)))}  ${overall === undefined ? "–" : `${fixed(overall, 0)} ms`}`,
      );
    }
    const errors = new Map<string, number>();
    for (const r of mine) for (const [code, n] of decodeErrors(r.errors)) errors.set(code, (errors.get(code) ?? 0) + n);
    const codes = [...errors].sort(([a], [b]) => a.localeCompare(b));
    out.push(
      `${"errors".padEnd(14)}  ${sparkline(
        series((r) => [...decodeErrors(r.errors).values()].reduce((a, n) => a + n, 0)),
        60,
        0,
      )}  ${codes.length ? codes.map(([c, n]) => `${c} ${n}`).join("  ") : "none"}`,
    );
    out.push("");
  }
  return out.join("\n");
}

/**
 * `dynoform metrics --app NAME [--type web] [--since 2h]`: per process type, its dynos' memory and
 * load together and (web) the router's throughput, response times and errors; then memory, load,
 * crashes and restarts per dyno; from the dyno manager's store, at the finest resolution the app's tier keeps for the span.
 */
export async function runMetrics(args: string[], io: CommandIO, docker = new Docker(), now = () => Date.now()): Promise<number> {
  const parsed = parseMetricsArgs(args);
  if (typeof parsed === "string") {
    io.stderr(parsed);
    return 2;
  }
  const { app, processType, sinceSeconds } = parsed;
  const dynos = await docker.listContainers({ all: true, filters: { label: [`${LABEL.role}=dyno`, `${LABEL.app}=${app}`] } });
  if (dynos.length === 0) {
    io.stderr(`dynoform metrics: app ${app} has no dynos on this Docker Engine (is the name right? \`dynoform ps --app ${app}\`)\n`);
    return 1;
  }
  const types = [...new Set(dynos.map((d) => d.Labels[LABEL.process]))].sort(byType);
  if (processType && !types.includes(processType)) {
    io.stderr(`dynoform metrics: app ${app} has no ${processType} dynos (its process types: ${types.join(", ")})\n`);
    return 1;
  }
  const retention = widestRetention(dynos.map((d) => d.Labels));
  const res = resolutionFor(retention, sinceSeconds);
  if (!res) {
    io.stdout(`Metrics are not available for Eco dynos (app ${app}). Basic keeps 24 hours; Standard and Performance keep 7 days.\n`);
    return 0;
  }
  const beyond = beyondRetention(app, retention, sinceSeconds);
  if (beyond) {
    io.stderr(beyond);
    return 1;
  }
  const nowEpoch = Math.floor(now() / 1000);
  const shownSeconds = Math.min(sinceSeconds, res.windowSeconds);
  const sinceEpoch = nowEpoch - shownSeconds;
  const query = { app, processType, res: res.seconds, sinceEpoch: sinceEpoch - (sinceEpoch % res.seconds) };
  const [rows, routerRows, runtime] = await Promise.all([
    readMetrics(docker, query),
    readRouterMetrics(docker, query),
    readRuntimeMetrics(docker, query),
  ]);
  io.stdout(
    `${app}${processType ? ` ${processType}` : ""}: the past ${span(shownSeconds)} at ${span(res.seconds)} resolution${shownSeconds < sinceSeconds ? ` (its tier keeps ${span(res.windowSeconds)})` : ""}\n\n`,
  );
  if (rows.length === 0 && routerRows.length === 0) {
    io.stdout("No samples yet: the dyno manager samples every running dyno every 20 seconds.\n");
    return 0;
  }
  const window = { res: res.seconds, sinceEpoch, nowEpoch };
  io.stdout(
    [renderProcessTypes(rows, window), renderRouter(routerRows, window), renderMetrics(rows, window, runtime)].filter(Boolean).join("\n"),
  );
  return 0;
}
