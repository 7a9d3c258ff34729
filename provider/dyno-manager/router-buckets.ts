/**
 * Router requests as the metrics store keeps them (metrics-store.ts `router_buckets`): per app
 * and process type, per bucket of each resolution its tier keeps (metrics-plan.ts), the requests
 * by status class, a response-time histogram (latency-histogram.ts) and router errors by code.
 * Pure.
 *
 * The dyno manager sees every request the routers serve, so it does not write per request: a
 * {@link RouterBuffer} counts them in memory at the tier's finest resolution and hands them over
 * once per sampling round; the coarser buckets are sums of the finest (fixed histogram bounds make
 * that exact), so they are filled at hand-over.
 */
import { addTo, decodeHistogram, type LatencyHistogram, mergeInto } from "./latency-histogram";
import { bucketsFor, RESOLUTIONS, type Retention } from "./metrics-plan";

/** What one bucket counts. */
export interface RouterCounts {
  /** Every request, WebSocket upgrades (101) included. */
  requests: number;
  s2xx: number;
  s3xx: number;
  s4xx: number;
  s5xx: number;
  /** Response times (`service=`), WebSockets left out. */
  latency: LatencyHistogram;
  /** Router errors by code (`H12` → 3). */
  errors: Map<string, number>;
  /** Exact sum and count of the timed requests (for the Prometheus counters). */
  msSum: number;
  msCount: number;
}

/** One bucket of the store. */
export interface RouterBucket extends RouterCounts {
  app: string;
  process: string;
  /** Resolution, seconds. */
  res: number;
  /** Epoch seconds. */
  start: number;
}

/** One request as the store counts it (request-line.ts's RouterRequest fits). */
export interface CountedRequest {
  atMs: number;
  status: number;
  serviceMs: number;
  code?: string;
  websocket: boolean;
}

const emptyCounts = (): RouterCounts => ({
  requests: 0,
  s2xx: 0,
  s3xx: 0,
  s4xx: 0,
  s5xx: 0,
  latency: new Map(),
  errors: new Map(),
  msSum: 0,
  msCount: 0,
});

function count(c: RouterCounts, r: CountedRequest): void {
  c.requests++;
  if (r.status >= 500) c.s5xx++;
  else if (r.status >= 400) c.s4xx++;
  else if (r.status >= 300) c.s3xx++;
  else if (r.status >= 200) c.s2xx++;
  if (!r.websocket) {
    addTo(c.latency, r.serviceMs);
    c.msSum += r.serviceMs;
    c.msCount++;
  }
  if (r.code) c.errors.set(r.code, (c.errors.get(r.code) ?? 0) + 1);
}

/** Adds `from` into `into`. */
export function mergeCounts(into: RouterCounts, from: RouterCounts): void {
  into.requests += from.requests;
  into.s2xx += from.s2xx;
  into.s3xx += from.s3xx;
  into.s4xx += from.s4xx;
  into.s5xx += from.s5xx;
  mergeInto(into.latency, from.latency);
  for (const [code, n] of from.errors) into.errors.set(code, (into.errors.get(code) ?? 0) + n);
  into.msSum += from.msSum;
  into.msCount += from.msCount;
}

/** `H10:1,H12:3` — how the store keeps errors by code in one text column. */
export function encodeErrors(errors: Map<string, number>): string {
  return [...errors]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}:${n}`)
    .join(",");
}

export function decodeErrors(text: string | null | undefined): Map<string, number> {
  const errors = new Map<string, number>();
  for (const part of (text ?? "").split(",")) {
    const [code, n] = [part.slice(0, part.lastIndexOf(":")), Number(part.slice(part.lastIndexOf(":") + 1))];
    if (/^[A-Z]\d{1,3}$/.test(code) && Number.isInteger(n) && n > 0) errors.set(code, (errors.get(code) ?? 0) + n);
  }
  return errors;
}

/** The cumulative counters (metrics-store.ts `totals`) one hand-over adds to. */
export interface TotalDelta {
  app: string;
  process: string;
  /** Empty for an app-wide counter. */
  dyno: string;
  name: string;
  /** Prometheus label pairs, `status_class="2xx"`; empty for none. */
  labels: string;
  value: number;
}

/** The counters a hand-over's buckets add to (from the finest buckets only: each request once). */
export function routerTotals(finest: RouterBucket[]): TotalDelta[] {
  const out = new Map<string, TotalDelta>();
  const add = (b: RouterBucket, name: string, labels: string, value: number) => {
    if (value === 0) return;
    const key = [b.app, b.process, name, labels].join("\u0000");
    const t = out.get(key) ?? { app: b.app, process: b.process, dyno: "", name, labels, value: 0 };
    t.value += value;
    out.set(key, t);
  };
  for (const b of finest) {
    for (const cls of ["2xx", "3xx", "4xx", "5xx"] as const)
      add(b, "router_requests_total", `status_class="${cls}"`, b[`s${cls}` as "s2xx"]);
    for (const [code, n] of b.errors) add(b, "router_errors_total", `code="${code}"`, n);
    add(b, "router_response_time_ms_sum", "", b.msSum);
    add(b, "router_response_time_ms_count", "", b.msCount);
  }
  return [...out.values()];
}

/** What one hand-over writes: every bucket touched, and the counters. */
export interface RouterHandOver {
  buckets: RouterBucket[];
  totals: TotalDelta[];
}

/** Requests counted since the last hand-over, at each app's finest resolution. */
export class RouterBuffer {
  private readonly pending = new Map<string, { bucket: RouterBucket; retention: Retention }>();

  /** Counts one request of an app whose tier keeps `retention` (Eco, "none": nothing is kept). */
  add(app: string, processType: string, retention: Retention, r: CountedRequest): void {
    const finest = RESOLUTIONS[retention][0];
    if (!finest) return;
    const at = Math.floor(r.atMs / 1000);
    const start = at - (at % finest.seconds);
    const key = `${app}\u0000${processType}\u0000${start}`;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { bucket: { app, process: processType, res: finest.seconds, start, ...emptyCounts() }, retention };
      this.pending.set(key, entry);
    }
    count(entry.bucket, r);
  }

  /** Everything counted since the last call, folded into every resolution's bucket; the buffer empties. */
  take(): RouterHandOver {
    const finest = [...this.pending.values()];
    this.pending.clear();
    const buckets = new Map<string, RouterBucket>();
    for (const { bucket, retention } of finest) {
      for (const b of bucketsFor(retention, bucket.start * 1000)) {
        const key = [bucket.app, bucket.process, b.res, b.start].join("\u0000");
        const into = buckets.get(key) ?? { app: bucket.app, process: bucket.process, res: b.res, start: b.start, ...emptyCounts() };
        mergeCounts(into, bucket);
        buckets.set(key, into);
      }
    }
    return { buckets: [...buckets.values()], totals: routerTotals(finest.map((f) => f.bucket)) };
  }
}

/** A stored bucket's text columns, as read back before a write merges into them. */
export interface StoredRouterText {
  app: string;
  process: string;
  res: number;
  start: number;
  latency: string | null;
  errors: string | null;
}

/**
 * The buckets with the histogram and errors already stored for them added in (the counts add up
 * in SQL; these two are text). The manager is the store's only writer, so read-then-write is safe.
 */
export function withStored(buckets: RouterBucket[], stored: StoredRouterText[]): RouterBucket[] {
  const byKey = new Map(stored.map((s) => [[s.app, s.process, s.res, s.start].join("\u0000"), s]));
  return buckets.map((b) => {
    const s = byKey.get([b.app, b.process, b.res, b.start].join("\u0000"));
    if (!s) return b;
    const latency = decodeHistogram(s.latency);
    mergeInto(latency, b.latency);
    const errors = decodeErrors(s.errors);
    for (const [code, n] of b.errors) errors.set(code, (errors.get(code) ?? 0) + n);
    return { ...b, latency, errors };
  });
}
