import Docker from "dockerode";
import type { CommandIO } from "./check";
import { parseArgs } from "./args";
import { sparkline } from "./sparkline";
import { LABEL } from "../provider/docker/labels";
import { readMetrics } from "../provider/formations/dyno-manager-controller";
import { parseSpan, resolutionFor, widestRetention } from "../provider/dyno-manager/metrics-plan";
import type { MetricsRow } from "../provider/dyno-manager/metrics-store";

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
  seconds % 86400 === 0 ? `${seconds / 86400}d` : seconds % 3600 === 0 ? `${seconds / 3600}h` : `${Math.round(seconds / 60)}m`;
const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

/**
 * Per dyno, per series, the numbers and a sparkline over `[sinceEpoch, nowEpoch)` at `res`
 * seconds a point, from the first bucket with data on (a bucket without samples is a gap). Pure.
 */
export function renderMetrics(rows: MetricsRow[], q: { res: number; sinceEpoch: number; nowEpoch: number }): string {
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

/**
 * `dynoform metrics --app NAME [--type web] [--since 2h]`: memory, load, crashes and restarts per
 * dyno from the dyno manager's store, at the finest resolution the app's tier keeps for the span.
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
  const retention = widestRetention(dynos.map((d) => d.Labels));
  const res = resolutionFor(retention, sinceSeconds);
  if (!res) {
    io.stdout(`Metrics are not available for Eco dynos (app ${app}). Basic keeps 24 hours; Standard and Performance keep 7 days.\n`);
    return 0;
  }
  const nowEpoch = Math.floor(now() / 1000);
  const shownSeconds = Math.min(sinceSeconds, res.windowSeconds);
  const sinceEpoch = nowEpoch - shownSeconds;
  const rows = await readMetrics(docker, { app, processType, res: res.seconds, sinceEpoch: sinceEpoch - (sinceEpoch % res.seconds) });
  io.stdout(
    `${app}${processType ? ` ${processType}` : ""}: the past ${span(shownSeconds)} at ${span(res.seconds)} resolution${shownSeconds < sinceSeconds ? ` (its tier keeps ${span(res.windowSeconds)})` : ""}\n\n`,
  );
  if (rows.length === 0) {
    io.stdout("No samples yet: the dyno manager samples every running dyno every 20 seconds.\n");
    return 0;
  }
  io.stdout(renderMetrics(rows, { res: res.seconds, sinceEpoch, nowEpoch }));
  return 0;
}
