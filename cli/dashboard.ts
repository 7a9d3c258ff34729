import * as http from "node:http";
import Docker from "dockerode";
import type { CommandIO } from "./check";
import { parseArgs } from "./args";
import { dashboardPage, WINDOWS } from "./dashboard-page";
import { LABEL } from "../provider/docker/labels";
import { parseSpan, RESOLUTIONS, resolutionFor, widestRetention, type Retention } from "../provider/dyno-manager/metrics-plan";
import {
  buildReport,
  eventTotals,
  eventTotalsSql,
  presentSources,
  totalRows,
  totalsSql,
  type SeriesQuery,
  type StoreRow,
} from "../provider/metrics/metrics-series";
import { EXPOSITION_CONTENT_TYPE, metricFamilies, renderExposition, type AppSnapshot } from "../provider/metrics/prometheus-exposition";
import { queryStore, storeTables } from "../provider/metrics/store-reader";

const USAGE = "usage: dynoform dashboard [--listen 127.0.0.1:9190]\n";

/** An app with dynos on the engine, as the page's picker and the API list it. */
export interface AppInfo {
  name: string;
  /** The tier's name for messages: Eco, Basic, or Standard and up. */
  tier: string;
  retention: Retention;
  processTypes: string[];
  /** The size of each process type's dynos. */
  sizes: Record<string, string>;
  /** The windows the tier keeps, of the page's (2h, 24h, 3d, 7d). */
  windows: string[];
}

/** What the dashboard reads: the engine's dynos and the metrics store. Docker in the command, data in tests. */
export interface DashboardSource {
  apps(): Promise<AppInfo[]>;
  tables(): Promise<string[]>;
  query(statements: string[]): Promise<StoreRow[][]>;
}

const TIER: Record<Retention, string> = { none: "Eco", "24h": "Basic", "7d": "Standard" };
const longest = (r: Retention) => Math.max(0, ...RESOLUTIONS[r].map((x) => x.windowSeconds));

/** Container labels of the engine's dynos → apps, sorted by name. Pure. */
export function appsFromLabels(labels: Array<Record<string, string>>): AppInfo[] {
  const byApp = new Map<string, Array<Record<string, string>>>();
  for (const l of labels) {
    const app = l[LABEL.app];
    if (app) byApp.set(app, [...(byApp.get(app) ?? []), l]);
  }
  return [...byApp]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ls]) => {
      const retention = widestRetention(ls);
      const sizes: Record<string, string> = {};
      for (const l of ls) if (l[LABEL.process] && !sizes[l[LABEL.process]]) sizes[l[LABEL.process]] = l[LABEL.size] ?? "";
      return {
        name,
        tier: retention === "7d" ? `${TIER[retention]} and up` : TIER[retention],
        retention,
        processTypes: Object.keys(sizes).sort(),
        sizes,
        windows: WINDOWS.filter((w) => (parseSpan(w) ?? Infinity) <= longest(retention)),
      };
    });
}

/** A response: status, content type, body. */
export interface Reply {
  status: number;
  type: string;
  body: string;
}

const json = (status: number, value: unknown): Reply => ({
  status,
  type: "application/json; charset=utf-8",
  body: `${JSON.stringify(value)}\n`,
});
const problem = (status: number, code: string, error: string) => json(status, { code, error });

/** `/api/apps/:app/metrics?type=web&since=2h`: the app's charts, or a 4xx that says why not. */
export async function metricsReply(source: DashboardSource, app: string, params: URLSearchParams, nowEpoch: number): Promise<Reply> {
  const apps = await source.apps();
  const info = apps.find((a) => a.name === app);
  if (!info) {
    return problem(
      404,
      "unknown_app",
      `No app named "${app}" has dynos on this Docker Engine${apps.length ? ` (apps: ${apps.map((a) => a.name).join(", ")})` : ""}. Check the name with \`dynoform ps\`.`,
    );
  }
  if (info.retention === "none") {
    return problem(
      404,
      "no_metrics",
      `Metrics are not available for Eco dynos (app ${app}). Basic keeps 24 hours; Standard and Performance keep 7 days: change the formation's size to see them.`,
    );
  }
  const since = params.get("since") ?? "2h";
  const sinceSeconds = parseSpan(since);
  if (sinceSeconds === undefined) return problem(400, "bad_window", `since must be a span such as 2h, 24h, 3d or 7d, not "${since}".`);
  const keeps = longest(info.retention);
  if (sinceSeconds > keeps) {
    return problem(
      400,
      "window_not_kept",
      `${info.tier} dynos keep ${keeps / 3600 >= 24 ? `${keeps / 86400} day${keeps > 86400 ? "s" : ""}` : `${keeps / 3600} hours`} of metrics, so app ${app} has none for the past ${since}: ask for ${info.windows.at(-1)} or less.`,
    );
  }
  const type = params.get("type") || undefined;
  if (type && !info.processTypes.includes(type)) {
    return problem(404, "unknown_process_type", `App ${app} has no ${type} dynos (process types: ${info.processTypes.join(", ")}).`);
  }
  const res = resolutionFor(info.retention, sinceSeconds);
  if (!res) return problem(404, "no_metrics", `App ${app} keeps no metrics.`);
  const q: SeriesQuery = { app, processType: type, res: res.seconds, sinceEpoch: nowEpoch - sinceSeconds + res.seconds, nowEpoch };
  const sources = presentSources(await source.tables());
  const rows = await source.query(sources.map((s) => s.sql(q)));
  return json(200, {
    ...buildReport(
      q,
      sources.map((s, i) => ({ source: s, rows: rows[i] ?? [] })),
    ),
    since,
    tier: info.tier,
    size: type ? info.sizes[type] : null,
  });
}

/** `/metrics`: every app's newest buckets and counters in Prometheus' text format. */
export async function expositionReply(source: DashboardSource, nowEpoch: number): Promise<Reply> {
  const apps = (await source.apps()).filter((a) => a.retention !== "none");
  const tables = await source.tables();
  const sources = presentSources(tables);
  const statements: string[] = [];
  const plans = apps.map((a) => {
    const finest = RESOLUTIONS[a.retention][0].seconds;
    // The newest buckets only: the gauges are "now", and a dyno gone for a while drops out.
    const q: SeriesQuery = { app: a.name, res: finest, sinceEpoch: nowEpoch - 2 * finest, nowEpoch };
    const first = statements.length;
    statements.push(...sources.map((s) => s.sql(q)));
    const coarsest = RESOLUTIONS[a.retention].at(-1)?.seconds ?? finest;
    const events = tables.includes("buckets") ? statements.push(eventTotalsSql(a.name, coarsest)) - 1 : -1;
    return { app: a, q, first, events };
  });
  const withTotals = tables.includes("totals");
  if (withTotals) statements.push(totalsSql(apps.map((a) => a.name)));
  const rows = await source.query(statements);
  const totals = withTotals ? totalRows(rows.at(-1) ?? []) : [];
  // Restarts and crashes: from the totals where they keep them, a dyno with none there yet at 0 (a
  // counter exists from the start); summed from the buckets where the totals keep no such counter.
  const kept = new Set(totals.map((t) => t.name));
  const counted = new Set(totals.map((t) => `${t.app}\u0000${t.dyno}\u0000${t.name}`));
  const fromBuckets = (rows: StoreRow[]) =>
    eventTotals(rows)
      .filter((t) => !counted.has(`${t.app}\u0000${t.dyno}\u0000${t.name}`))
      .map((t) => (kept.has(t.name) ? { ...t, value: 0 } : t));
  const snapshots: AppSnapshot[] = plans.map(({ app, q, first, events }) => ({
    app: app.name,
    sizes: app.sizes,
    report: buildReport(
      q,
      sources.map((s, i) => ({ source: s, rows: rows[first + i] ?? [] })),
    ),
    totals: [...totals.filter((t) => t.app === app.name), ...fromBuckets(events >= 0 ? (rows[events] ?? []) : [])],
  }));
  return { status: 200, type: EXPOSITION_CONTENT_TYPE, body: renderExposition(metricFamilies(snapshots)) };
}

/** Routes one GET to its reply. */
export async function handle(source: DashboardSource, method: string, rawUrl: string, nowEpoch: number): Promise<Reply> {
  const url = new URL(rawUrl, "http://dashboard.invalid");
  if (method !== "GET" && method !== "HEAD")
    return problem(405, "method_not_allowed", `${method} is not served here: the dashboard is read-only.`);
  if (url.pathname === "/favicon.ico") return { status: 204, type: "image/x-icon", body: "" };
  if (url.pathname === "/") return { status: 200, type: "text/html; charset=utf-8", body: dashboardPage() };
  if (url.pathname === "/metrics") return expositionReply(source, nowEpoch);
  if (url.pathname === "/api/apps") return json(200, { apps: await source.apps() });
  const m = /^\/api\/apps\/([^/]+)\/metrics$/.exec(url.pathname);
  if (m) {
    let app: string;
    try {
      app = decodeURIComponent(m[1]);
    } catch {
      return problem(400, "bad_app_name", `${m[1]} is not a URL-encoded app name.`);
    }
    return metricsReply(source, app, url.searchParams, nowEpoch);
  }
  return problem(404, "not_found", `Nothing at ${url.pathname}: the dashboard serves /, /api/apps, /api/apps/APP/metrics and /metrics.`);
}

/**
 * Answers the same question once a `ttlMs`: a page and Prometheus asking together cost one
 * `docker exec`, not one each.
 */
export function cached(source: DashboardSource, ttlMs = 1000, now = () => Date.now()): DashboardSource {
  const memo = new Map<string, { at: number; value: Promise<unknown> }>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const hit = memo.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.value as Promise<T>;
    for (const [k, v] of memo) if (now() - v.at >= ttlMs) memo.delete(k);
    const value = load();
    value.catch(() => memo.delete(key));
    memo.set(key, { at: now(), value });
    return value;
  };
  return {
    apps: () => once("apps", () => source.apps()),
    tables: () => once("tables", () => source.tables()),
    query: (statements) => once(`q:${statements.join("\n")}`, () => source.query(statements)),
  };
}

/** The engine's dynos and the manager's store. */
export function dockerSource(docker: Docker): DashboardSource {
  return {
    apps: async () =>
      appsFromLabels((await docker.listContainers({ all: true, filters: { label: [`${LABEL.role}=dyno`] } })).map((c) => c.Labels)),
    tables: () => storeTables(docker),
    query: (statements) => queryStore(docker, statements),
  };
}

/** `--listen HOST:PORT` (default 127.0.0.1:9190: this machine only); a string is the usage error. */
export function parseDashboardArgs(args: string[]): { host: string; port: number } | string {
  const { flags, positional } = parseArgs(args, ["listen"]);
  if (positional.length > 0) return USAGE;
  const listen = typeof flags.listen === "string" ? flags.listen : "127.0.0.1:9190";
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) return `dynoform dashboard: --listen wants HOST:PORT such as 127.0.0.1:9190, not "${listen}"\n${USAGE}`;
  return { host: m[1] ?? m[2], port };
}

/**
 * `dynoform dashboard [--listen 127.0.0.1:9190]`: the Metrics page, its JSON API and the
 * Prometheus endpoint, until interrupted.
 */
export async function runDashboard(args: string[], io: CommandIO, docker = new Docker()): Promise<number> {
  const parsed = parseDashboardArgs(args);
  if (typeof parsed === "string") {
    io.stderr(parsed);
    return 2;
  }
  const source = cached(dockerSource(docker));
  const server = http.createServer((req, res) => {
    handle(source, req.method ?? "GET", req.url ?? "/", Math.floor(Date.now() / 1000))
      .catch((e: Error) => problem(503, "store_unavailable", e.message))
      .then((r) => {
        res.writeHead(r.status, { "content-type": r.type, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : r.body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${parsed.host}:${parsed.port} (${e.code ?? e.message}): choose another with --listen HOST:PORT`)),
    );
    server.listen(parsed.port, parsed.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : parsed.port;
  const host = parsed.host.includes(":") ? `[${parsed.host}]` : parsed.host;
  io.stdout(`dynoform dashboard: http://${host}:${port}/ (Prometheus: http://${host}:${port}/metrics) — Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}
