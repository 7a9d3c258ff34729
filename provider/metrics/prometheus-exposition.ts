/**
 * The metrics store as Prometheus' text exposition format (0.0.4), for the Prometheus and
 * Grafana teams already run. Pure: the series (metrics-series.ts) of each app's newest buckets
 * and its cumulative counters in, the page of text out.
 *
 * Names follow Prometheus' conventions: a `dynoform_` prefix, base units (bytes, seconds),
 * `_total` on counters; labels `app`, `process_type`, `dyno` (where a series is a dyno's) and
 * `size`, plus the series' own (`status_class`, `code`, `quantile`).
 */
import type { MetricsReport, TotalRow } from "./metrics-series";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const MB = 1024 * 1024;

/** What the exporter knows of one app: its newest buckets as series, its counters, its sizes. */
export interface AppSnapshot {
  app: string;
  /** The size of each process type's dynos (`standard-1x`). */
  sizes: Record<string, string>;
  /** The newest buckets of the app's finest resolution, as series: their `latest` is exported. */
  report: MetricsReport;
  /** Cumulative counters (the store's `totals`, or restarts and crashes summed over the kept buckets). */
  totals: TotalRow[];
}

type Labels = Record<string, string>;
interface Sample {
  suffix?: string;
  labels: Labels;
  value: number;
}
interface Family {
  name: string;
  type: "gauge" | "counter" | "summary";
  help: string;
  samples: Sample[];
}

const RESPONSE_TIME_HELP =
  "Router response time (the service= time): quantiles over the newest bucket, sum and count since the store began.";

/** A `totals` name → its family; the value is scaled into base units. */
const COUNTERS: Record<string, { family: string; help: string; scale?: number; suffix?: string; type?: Family["type"] }> = {
  dyno_restarts_total: { family: "dynoform_dyno_restarts_total", help: "Dyno restarts: a fresh container started for the dyno." },
  dyno_crashes_total: {
    family: "dynoform_dyno_crashes_total",
    help: "Dyno crashes: the dyno's process exited without Dynoform stopping it.",
  },
  router_requests_total: { family: "dynoform_router_requests_total", help: "Requests the router served, by status class." },
  router_errors_total: { family: "dynoform_router_errors_total", help: "Router errors (Heroku's H codes), by code." },
  router_response_time_ms_sum: {
    family: "dynoform_router_response_time_seconds",
    help: RESPONSE_TIME_HELP,
    scale: 1 / 1000,
    suffix: "_sum",
    type: "summary",
  },
  router_response_time_ms_count: {
    family: "dynoform_router_response_time_seconds",
    help: RESPONSE_TIME_HELP,
    suffix: "_count",
    type: "summary",
  },
};

/** A label value or HELP text escaped as the format wants. */
const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
/** A metric name from a store name: what Prometheus allows. */
const metricName = (v: string) => v.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([^a-zA-Z_:])/, "_$1");
const labelName = (v: string) => v.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^([^a-zA-Z_])/, "_$1");

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels).filter(([, v]) => v !== "");
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${labelName(k)}="${escapeLabel(v)}"`).join(",")}}`;
}

/** Families → the text Prometheus scrapes: HELP and TYPE once per family, then its samples. */
export function renderExposition(families: Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${s.suffix ?? ""}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return out.length ? `${out.join("\n")}\n` : "";
}

/** The families of every app's snapshot, in a stable order. */
export function metricFamilies(apps: AppSnapshot[]): Family[] {
  const families = new Map<string, Family>();
  const family = (name: string, type: Family["type"], help: string) => {
    const f = families.get(name) ?? { name, type, help, samples: [] };
    families.set(name, f);
    return f;
  };
  // Declared first so the page reads gauges, then counters, whatever the data.
  const memory = family("dynoform_dyno_memory_bytes", "gauge", "Memory in use by the dyno (the cgroup's usage less inactive file cache).");
  const quota = family("dynoform_dyno_memory_quota_bytes", "gauge", "The dyno size's memory quota: over it, Heroku's R14.");
  const load = family("dynoform_dyno_load", "gauge", "Dyno load: CPU-seconds per second used by the dyno's processes.");
  family("dynoform_dyno_restarts_total", "counter", COUNTERS.dyno_restarts_total.help);
  family("dynoform_dyno_crashes_total", "counter", COUNTERS.dyno_crashes_total.help);
  family("dynoform_router_requests_total", "counter", COUNTERS.router_requests_total.help);
  family("dynoform_router_errors_total", "counter", COUNTERS.router_errors_total.help);
  const responseTime = family("dynoform_router_response_time_seconds", "summary", RESPONSE_TIME_HELP);
  const heap = family("dynoform_nodejs_heap_used_bytes", "gauge", "Node.js heap in use (Standard and up, Node.js apps).");
  const gc = family("dynoform_nodejs_gc_time_ratio", "gauge", "Share of the Node.js process's time spent in garbage collection.");
  const eventLoop = family(
    "dynoform_nodejs_eventloop_delay_p99_seconds",
    "gauge",
    "Node.js event-loop delay, 99th percentile, newest bucket.",
  );

  for (const a of apps) {
    const base = (processType: string, dyno = ""): Labels => ({
      app: a.app,
      process_type: processType,
      dyno,
      size: a.sizes[processType] ?? "",
    });
    const charts = new Map(a.report.charts.map((c) => [c.id, c.series]));
    const quotas = new Map(
      (charts.get("memory") ?? []).filter((s) => s.name === "quota").map((s) => [s.labels.process_type ?? "", s.latest] as const),
    );
    for (const s of charts.get("memory") ?? []) {
      if (s.name === "quota" || s.latest === null) continue;
      const labels = base(s.labels.process_type ?? "", s.labels.dyno ?? s.name);
      memory.samples.push({ labels, value: Math.round(s.latest * MB) });
      const q = quotas.get(s.labels.process_type ?? "");
      if (q) quota.samples.push({ labels, value: Math.round(q * MB) });
    }
    for (const s of charts.get("load") ?? []) {
      if (s.latest !== null) load.samples.push({ labels: base(s.labels.process_type ?? "", s.labels.dyno ?? s.name), value: s.latest });
    }
    for (const [chart, f, scale] of [
      ["heap", heap, MB],
      ["event_loop_delay", eventLoop, 1 / 1000],
      ["gc", gc, 1 / 60_000],
    ] as const) {
      for (const s of charts.get(chart) ?? []) {
        if (s.latest !== null)
          f.samples.push({ labels: base(s.labels.process_type ?? "", s.labels.dyno ?? s.name), value: s.latest * scale });
      }
    }
    for (const s of charts.get("response_time") ?? []) {
      if (s.latest === null) continue;
      responseTime.samples.push({
        labels: { ...base(a.report.processType ?? "web"), quantile: s.labels.quantile },
        value: s.latest / 1000,
      });
    }
    for (const t of a.totals) {
      const known = COUNTERS[t.name];
      const f = known
        ? family(known.family, known.type ?? "counter", known.help)
        : family(`dynoform_${metricName(t.name)}`, "counter", `Dynoform's ${t.name} counter.`);
      f.samples.push({ suffix: known?.suffix, labels: { ...base(t.process, t.dyno), ...t.labels }, value: t.value * (known?.scale ?? 1) });
    }
  }
  return [...families.values()];
}
