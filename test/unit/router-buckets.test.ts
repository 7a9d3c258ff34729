import { describe, expect, it } from "vitest";
import { bucketOf, histogramCount, quantileMs } from "../../provider/dyno-manager/latency-histogram";
import { decodeErrors, encodeErrors, RouterBuffer, withStored } from "../../provider/dyno-manager/router-buckets";

const T = Date.parse("2026-11-26T06:00:00Z");
const req = (atMs: number, status: number, serviceMs: number, code?: string) => ({
  atMs,
  status,
  serviceMs,
  code,
  websocket: status === 101,
});

describe("router buckets", () => {
  it("counts requests per status class into every resolution the tier keeps, each request once in the counters", () => {
    const b = new RouterBuffer();
    b.add("shop", "web", "7d", req(T, 200, 10));
    b.add("shop", "web", "7d", req(T + 30_000, 404, 3));
    b.add("shop", "web", "7d", req(T + 61_000, 503, 30_000, "H12"));
    b.add("shop", "web", "7d", req(T + 62_000, 101, 5000));
    const { buckets, totals } = b.take();
    const at = (res: number) => buckets.filter((x) => x.res === res).map((x) => [x.start - T / 1000, x.requests, x.s2xx, x.s4xx, x.s5xx]);
    expect(at(60)).toEqual([
      [0, 2, 1, 1, 0],
      [60, 2, 0, 0, 1],
    ]);
    expect(at(600)).toEqual([[0, 4, 1, 1, 1]]);
    expect(at(7200)).toEqual([[0, 4, 1, 1, 1]]);
    const tenMin = buckets.find((x) => x.res === 600)!;
    // The WebSocket is no response time.
    expect(histogramCount(tenMin.latency)).toBe(3);
    expect(quantileMs(tenMin.latency, 0.99)).toBeGreaterThanOrEqual(30_000);
    expect(encodeErrors(tenMin.errors)).toBe("H12:1");
    expect(totals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "router_requests_total", labels: 'status_class="2xx"', value: 1 }),
        expect.objectContaining({ name: "router_requests_total", labels: 'status_class="5xx"', value: 1 }),
        expect.objectContaining({ name: "router_errors_total", labels: 'code="H12"', value: 1 }),
        expect.objectContaining({ name: "router_response_time_ms_sum", value: 30_013 }),
        expect.objectContaining({ name: "router_response_time_ms_count", value: 3 }),
      ]),
    );
    expect(b.take()).toEqual({ buckets: [], totals: [] });
  });

  it("keeps Basic at 10 minutes and Eco not at all", () => {
    const b = new RouterBuffer();
    b.add("basic", "web", "24h", req(T + 1000, 200, 5));
    b.add("eco", "web", "none", req(T + 1000, 200, 5));
    const { buckets, totals } = b.take();
    expect(buckets.map((x) => [x.app, x.res])).toEqual([["basic", 600]]);
    expect(totals.every((t) => t.app === "basic")).toBe(true);
  });

  it("adds what is stored to a bucket's histogram and errors", () => {
    const b = new RouterBuffer();
    b.add("shop", "web", "24h", req(T, 500, 100, "H10"));
    const [bucket] = withStored(b.take().buckets, [
      { app: "shop", process: "web", res: 600, start: T / 1000, latency: `${bucketOf(100)}:2`, errors: "H10:2,H12:1" },
    ]);
    expect(bucket.latency.get(bucketOf(100))).toBe(3);
    expect(encodeErrors(bucket.errors)).toBe("H10:3,H12:1");
  });

  it("encodes errors by code and skips junk when decoding", () => {
    expect(decodeErrors("H12:3,H10:1,bad,H99:x,:2")).toEqual(
      new Map([
        ["H12", 3],
        ["H10", 1],
      ]),
    );
    expect(
      encodeErrors(
        new Map([
          ["H12", 3],
          ["H10", 1],
          ["H13", 0],
        ]),
      ),
    ).toBe("H10:1,H12:3");
  });
});
