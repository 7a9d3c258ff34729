/**
 * What the dyno manager keeps of each dyno's metrics, and for how long: Heroku's resolutions per
 * tier (heroku-facts §2–3). Pure: the store (metrics-store.ts) and `dynoform metrics` both plan
 * with it.
 *
 * Every sample is folded, as it arrives, into one bucket of each resolution its tier keeps (sums,
 * maxima and counts, so a coarse bucket is exactly the rollup of the fine ones); each resolution
 * keeps only its window. Data thus becomes coarser as it ages without a rollup pass, and the store
 * holds at most `sum(window / resolution)` buckets per dyno.
 */
import { LABEL } from "../docker/labels";

/** A dyno's metrics retention, as its tier's `features.metricsRetention` (sdk/dyno-sizes.ts). */
export type Retention = "none" | "24h" | "7d";

/** One resolution: buckets of `seconds`, kept for `windowSeconds`. */
export interface Resolution {
  seconds: number;
  windowSeconds: number;
}

const MIN = 60;
const HOUR = 3600;
const DAY = 24 * HOUR;

/** Heroku's resolutions per retention, finest first. */
export const RESOLUTIONS: Record<Retention, readonly Resolution[]> = {
  // Eco: no metrics.
  none: [],
  // Basic: the past 24 hours at 10 minutes.
  "24h": [{ seconds: 10 * MIN, windowSeconds: DAY }],
  // Standard, Performance, Private, Shield: 2 h at 1 min, 24 h at 10 min, 3 days at 1 h, 7 days at 2 h.
  "7d": [
    { seconds: MIN, windowSeconds: 2 * HOUR },
    { seconds: 10 * MIN, windowSeconds: DAY },
    { seconds: HOUR, windowSeconds: 3 * DAY },
    { seconds: 2 * HOUR, windowSeconds: 7 * DAY },
  ],
};

export const isRetention = (v: string | undefined): v is Retention => v === "none" || v === "24h" || v === "7d";

/** The widest retention among dynos' labels (`dynoform.metrics`): what an app's tier keeps (Eco: none). */
export function widestRetention(labels: Array<Record<string, string>>): Retention {
  const order: Retention[] = ["none", "24h", "7d"];
  return labels
    .map((l) => l[LABEL.metrics])
    .filter(isRetention)
    .reduce<Retention>((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a), "none");
}

/** The buckets (resolution, start in epoch seconds) a sample taken at `atMs` is folded into. */
export function bucketsFor(retention: Retention, atMs: number): Array<{ res: number; start: number }> {
  const at = Math.floor(atMs / 1000);
  return RESOLUTIONS[retention].map((r) => ({ res: r.seconds, start: at - (at % r.seconds) }));
}

/**
 * Per resolution, the oldest bucket start still kept at `nowMs`: older buckets are deleted. A
 * resolution's window is the same on every tier that keeps it, so this does not depend on the tier.
 */
export function retentionCutoffs(nowMs: number): Array<{ res: number; keepFrom: number }> {
  const now = Math.floor(nowMs / 1000);
  const seen = new Map<number, number>();
  for (const r of [...RESOLUTIONS["24h"], ...RESOLUTIONS["7d"]]) seen.set(r.seconds, Math.max(seen.get(r.seconds) ?? 0, r.windowSeconds));
  return [...seen].sort(([a], [b]) => a - b).map(([res, window]) => ({ res, keepFrom: now - window - (now % res) }));
}

/**
 * The resolution `dynoform metrics --since` reads: the finest one whose window covers the span
 * (Heroku's charts: 2 h at 1 min, 24 h at 10 min, …), the coarsest when none does. Undefined on Eco.
 */
export function resolutionFor(retention: Retention, sinceSeconds: number): Resolution | undefined {
  const rs = RESOLUTIONS[retention];
  return rs.find((r) => r.windowSeconds >= sinceSeconds) ?? rs[rs.length - 1];
}

/** `2h`, `30m`, `3d`, `90s` (or plain seconds) in seconds; undefined when it is none of these. */
export function parseSpan(text: string): number | undefined {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { "": 1, s: 1, m: MIN, h: HOUR, d: DAY }[m[2] as "" | "s" | "m" | "h" | "d"];
  const seconds = Number(m[1]) * unit;
  return seconds > 0 ? seconds : undefined;
}

/** One memory and load sample of a running dyno. */
export interface DynoSample {
  app: string;
  dyno: string;
  processType: string;
  retention: Retention;
  atMs: number;
  /** Memory in use, MB (the engine's usage less inactive file cache, as `docker stats`). */
  memoryMb: number;
  quotaMb: number;
  /** Average runnable work over the interval (metrics-sampler.ts: CPU-seconds per second). */
  load: number;
}

/** How many samples over quota pass between two R14 reports (once a minute at Heroku's 20 s cadence). */
export const R14_EVERY_SAMPLES = 3;

/** Per dyno: samples over quota since its last R14 report (undefined: under quota). */
export type R14Watch = Map<string, number>;

/**
 * Heroku's R14 lines for a sample over the dyno's quota, throttled: the first sample over it
 * reports, then every {@link R14_EVERY_SAMPLES}th while it stays over. Updates `watch`.
 */
export function r14Lines(watch: R14Watch, key: string, memoryMb: number, quotaMb: number): string[] {
  if (quotaMb <= 0 || memoryMb <= quotaMb) {
    watch.delete(key);
    return [];
  }
  const since = watch.get(key);
  if (since !== undefined && since + 1 < R14_EVERY_SAMPLES) {
    watch.set(key, since + 1);
    return [];
  }
  watch.set(key, 0);
  return [memoryLine(memoryMb, quotaMb), "Error R14 (Memory quota exceeded)"];
}

/** `Process running mem=620M(121.1%)`, Heroku's line. */
export function memoryLine(memoryMb: number, quotaMb: number): string {
  return `Process running mem=${Math.round(memoryMb)}M(${((memoryMb / quotaMb) * 100).toFixed(1)}%)`;
}
