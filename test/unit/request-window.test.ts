import { describe, expect, it } from "vitest";
import { RequestWindow } from "../../provider/dyno-manager/request-window";

const req = (atMs: number, serviceMs: number, status = 200, websocket = false) => ({
  app: "api",
  processType: "web",
  atMs,
  serviceMs,
  status,
  websocket,
});

describe("request window", () => {
  it("gives p95 and the 5xx rate of a window, WebSockets out of the percentiles", () => {
    const w = new RequestWindow(1000, 60_000);
    for (let i = 0; i < 100; i++) w.record(req(10_000 + i * 10, i < 95 ? 10 : 500, i < 90 ? 200 : 503));
    w.record(req(10_500, 50_000, 101, true));
    const s = w.stats("api", "web", 0, 20_000);
    expect(s.requests).toBe(101);
    expect(s.failed).toBe(10);
    expect(s.p95Ms).toBeLessThanOrEqual(12);
    expect(s.p99Ms).toBeGreaterThanOrEqual(500);
    expect(s.p99Ms).toBeLessThan(50_000);
  });

  it("counts only slots inside the range, and keeps apps apart", () => {
    const w = new RequestWindow(1000, 60_000);
    w.record(req(1_500, 5));
    w.record(req(5_500, 5, 500));
    w.record({ ...req(5_600, 5), app: "other" });
    expect(w.stats("api", "web", 5_000, 6_000)).toMatchObject({ requests: 1, failed: 1, failedRate: 1 });
    expect(w.stats("api", "web", 0, 10_000).requests).toBe(2);
    expect(w.stats("api", "worker", 0, 10_000)).toEqual({ requests: 0, failed: 0, failedRate: 0 });
  });

  it("forgets what is older than its horizon", () => {
    const w = new RequestWindow(1000, 10_000);
    w.record(req(1_000, 5));
    w.record(req(30_000, 5));
    expect(w.stats("api", "web", 0, 40_000).requests).toBe(1);
    w.prune(100_000);
    expect(w.stats("api", "web", 0, 200_000).requests).toBe(0);
  });
});
