import { describe, expect, it } from "vitest";
import {
  addTo,
  bucketOf,
  bucketUpperMs,
  decodeHistogram,
  encodeHistogram,
  HISTOGRAM_BUCKETS,
  mergeInto,
  quantileMs,
  type LatencyHistogram,
} from "../../provider/dyno-manager/latency-histogram";

describe("latency histogram", () => {
  it("puts a time in the bucket whose upper bound is the first at or above it", () => {
    for (const ms of [0, 1, 1.1, 5, 37, 250, 999, 29_000]) {
      const b = bucketOf(ms);
      expect(bucketUpperMs(b)).toBeGreaterThanOrEqual(Math.min(ms, bucketUpperMs(HISTOGRAM_BUCKETS - 1)));
      if (b > 0) expect(bucketUpperMs(b - 1)).toBeLessThan(ms);
    }
    expect(bucketOf(10 ** 9)).toBe(HISTOGRAM_BUCKETS - 1);
  });

  it("reads percentiles within one bucket (20%) above the truth, never below", () => {
    const h: LatencyHistogram = new Map();
    for (let ms = 1; ms <= 1000; ms++) addTo(h, ms);
    for (const [q, truth] of [
      [0.5, 500],
      [0.95, 950],
      [0.99, 990],
    ]) {
      const v = quantileMs(h, q)!;
      expect(v).toBeGreaterThanOrEqual(truth);
      expect(v).toBeLessThanOrEqual(truth * 1.2);
    }
    expect(quantileMs(new Map(), 0.95)).toBeUndefined();
  });

  it("adds up exactly, so coarse buckets are the sum of fine ones", () => {
    const a: LatencyHistogram = new Map();
    const b: LatencyHistogram = new Map();
    const all: LatencyHistogram = new Map();
    for (let i = 0; i < 200; i++) {
      const ms = (i * 37) % 900;
      addTo(i % 2 ? a : b, ms);
      addTo(all, ms);
    }
    mergeInto(a, b);
    expect(encodeHistogram(a)).toBe(encodeHistogram(all));
  });

  it("round-trips through the store's text and ignores junk", () => {
    const h: LatencyHistogram = new Map([
      [3, 10],
      [7, 2],
    ]);
    expect(encodeHistogram(h)).toBe("3:10,7:2");
    expect(decodeHistogram("3:10,7:2")).toEqual(h);
    expect(decodeHistogram("x,3:1,999:4,-1:2,")).toEqual(new Map([[3, 1]]));
    expect(decodeHistogram(null).size).toBe(0);
  });
});
