/**
 * Response times as a fixed log-scale histogram: bucket i holds times in (1.2^(i-1), 1.2^i] ms
 * (bucket 0: ≤ 1 ms; the last: everything slower). Fixed bounds make histograms add up exactly,
 * so a 10-minute bucket of the store is the sum of its 1-minute ones and a percentile of any
 * window is read off the sum, within one bucket's width (±10%). Pure.
 */

/** Ratio between two bucket bounds. */
export const HISTOGRAM_RATIO = 1.2;
/** Buckets: 1.2^63 ms ≈ 97 s, beyond Heroku's 30 s request timeout. */
export const HISTOGRAM_BUCKETS = 64;

/** Counts per bucket, sparse: bucket index → requests. */
export type LatencyHistogram = Map<number, number>;

/** The bucket a response time falls in. */
export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.ceil(Math.log(ms) / Math.log(HISTOGRAM_RATIO) - 1e-9));
}

/** A bucket's upper bound, ms. */
export const bucketUpperMs = (i: number): number => HISTOGRAM_RATIO ** i;

export function addTo(h: LatencyHistogram, ms: number, n = 1): void {
  const b = bucketOf(ms);
  h.set(b, (h.get(b) ?? 0) + n);
}

export function mergeInto(into: LatencyHistogram, from: LatencyHistogram): void {
  for (const [b, n] of from) into.set(b, (into.get(b) ?? 0) + n);
}

export const histogramCount = (h: LatencyHistogram): number => [...h.values()].reduce((a, n) => a + n, 0);

/**
 * The q-quantile (0.5, 0.95, 0.99) in ms: the upper bound of the bucket the q-th request falls
 * in, so a p95 is never reported below the truth. Undefined for an empty histogram.
 */
export function quantileMs(h: LatencyHistogram, q: number): number | undefined {
  const total = histogramCount(h);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const b of [...h.keys()].sort((x, y) => x - y)) {
    seen += h.get(b) ?? 0;
    if (seen >= rank) return bucketUpperMs(b);
  }
  return bucketUpperMs(HISTOGRAM_BUCKETS - 1);
}

/** `3:10,7:2` — how the store keeps a histogram in one text column. */
export function encodeHistogram(h: LatencyHistogram): string {
  return [...h]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a - b)
    .map(([b, n]) => `${b}:${n}`)
    .join(",");
}

export function decodeHistogram(text: string | null | undefined): LatencyHistogram {
  const h: LatencyHistogram = new Map();
  for (const part of (text ?? "").split(",")) {
    const [b, n] = part.split(":").map(Number);
    if (Number.isInteger(b) && b >= 0 && b < HISTOGRAM_BUCKETS && n > 0) h.set(b, (h.get(b) ?? 0) + n);
  }
  return h;
}
