import { describe, expect, it } from "vitest";
import {
  completeMinutes,
  metricValue,
  planAlerts,
  type AlertBook,
  type AlertInput,
  type AlertThresholds,
} from "../../provider/dyno-manager/alert-plan";
import type { WindowStats } from "../../provider/dyno-manager/request-window";

const MINUTE = 60_000;
const slow = (p95Ms: number): WindowStats => ({ requests: 100, failed: 0, failedRate: 0, p50Ms: p95Ms / 2, p95Ms, p99Ms: p95Ms });
const failing = (failed: number, requests = 100): WindowStats => ({ requests, failed, failedRate: failed / requests, p95Ms: 50 });
const idle: WindowStats = { requests: 0, failed: 0, failedRate: 0 };

/** One process type of one app, with the last minutes' stats (oldest first; undefined: not watched). */
const input = (stats: Array<WindowStats | undefined>, thresholds: Partial<AlertThresholds> = {}): AlertInput => ({
  app: "api",
  processType: "web",
  thresholds: { p95ResponseTimeMs: 500, windowMinutes: stats.length, ...thresholds },
  minutes: stats.map((s, i) => ({ startMs: i * MINUTE, stats: s })),
});

/** Runs the plan over a sequence of evaluations (each: the window's minutes) and collects every event. */
function run(windows: Array<Array<WindowStats | undefined>>, thresholds: Partial<AlertThresholds> = {}, start: AlertBook = {}) {
  let book = start;
  const events: Array<{ state: string; metric: string; value: number; at: number }> = [];
  windows.forEach((w, i) => {
    const r = planAlerts(book, [input(w, thresholds)], i * 1000);
    book = r.book;
    events.push(...r.events.map((e) => ({ state: e.state, metric: e.metric, value: e.value, at: i })));
  });
  return { book, events };
}

describe("planAlerts (a minute is a minute here: the plan sees minutes, not the clock)", () => {
  it("fires once when every minute of the window is over, however often it is evaluated", () => {
    const over = [slow(900), slow(800), slow(1200)];
    const { events, book } = run([over, over, over, over]);
    expect(events).toEqual([{ state: "fired", metric: "p95-response-time", value: 1200, at: 0 }]);
    expect(Object.keys(book)).toEqual(["api/web/p95-response-time"]);
  });

  it("does not fire while one minute of the window is under (a spike is not sustained)", () => {
    expect(run([[slow(900), slow(100), slow(900)]]).events).toEqual([]);
    expect(run([[slow(900), slow(900), idle]]).events).toEqual([]);
  });

  it("treats the threshold itself as under: only above it fires", () => {
    expect(run([[slow(500)]]).events).toEqual([]);
    expect(run([[slow(501)]]).events.map((e) => e.state)).toEqual(["fired"]);
  });

  it("resolves once when a whole window is back under, and not while part of it is over", () => {
    const { events } = run(
      [
        [slow(900), slow(900)],
        [slow(900), slow(100)],
        [slow(100), slow(100)],
        [slow(100), slow(100)],
        [idle, idle],
      ],
      {
        windowMinutes: 2,
      },
    );
    expect(events.map((e) => `${e.state}@${e.at}`)).toEqual(["fired@0", "resolved@2"]);
  });

  it("gives one fired and one resolved per crossing: two crossings, two pairs, no storm while hovering", () => {
    const over = [slow(900)];
    const under = [slow(100)];
    const { events } = run([over, over, under, under, over, over, over, under]);
    expect(events.map((e) => `${e.state}@${e.at}`)).toEqual(["fired@0", "resolved@2", "fired@4", "resolved@7"]);
  });

  it("decides nothing with a minute it did not watch (a restarted manager neither resolves nor fires)", () => {
    const firing: AlertBook = { "api/web/p95-response-time": { firedAtMs: 1 } };
    expect(run([[undefined, slow(100)]], {}, firing)).toEqual({ book: firing, events: [] });
    expect(run([[undefined, slow(900)]]).events).toEqual([]);
  });

  it("decides nothing with fewer minutes than the window", () => {
    const short = { ...input([slow(900)]), thresholds: { p95ResponseTimeMs: 500, windowMinutes: 5 } };
    expect(planAlerts({}, [short], 0).events).toEqual([]);
  });

  it("watches the failed-request percentage on its own, and 0 requests fail nothing", () => {
    const t = { p95ResponseTimeMs: undefined, failedRequestPercent: 5 };
    const { events } = run(
      [
        [failing(6), failing(50, 200)],
        [failing(50, 200), failing(1)],
        [failing(1), idle],
      ],
      { ...t, windowMinutes: 2 },
    );
    expect(events.map((e) => `${e.state}:${e.metric}=${e.value}@${e.at}`)).toEqual([
      "fired:failed-request-rate=25@0",
      "resolved:failed-request-rate=0@2",
    ]);
  });

  it("judges both thresholds apart: each has its own alert", () => {
    const both = { failedRequestPercent: 10 };
    const { events } = run([[{ ...slow(900), failed: 20, failedRate: 0.2 }], [slow(900)], [slow(100)]], both);
    expect(events.map((e) => `${e.state}:${e.metric}@${e.at}`)).toEqual([
      "fired:p95-response-time@0",
      "fired:failed-request-rate@0",
      "resolved:failed-request-rate@1",
      "resolved:p95-response-time@2",
    ]);
  });

  it("drops firing alerts no input watches any more, without an event", () => {
    const firing: AlertBook = { "gone/web/p95-response-time": { firedAtMs: 1 }, "api/web/failed-request-rate": { firedAtMs: 1 } };
    expect(planAlerts(firing, [input([slow(100)])], 5)).toEqual({ book: {}, events: [] });
  });

  it("carries what a webhook needs in each event", () => {
    const { events } = planAlerts({}, [input([slow(900)], { windowMinutes: 1 })], 42);
    expect(events).toEqual([
      {
        state: "fired",
        app: "api",
        processType: "web",
        metric: "p95-response-time",
        value: 900,
        threshold: 500,
        windowMinutes: 1,
        atMs: 42,
      },
    ]);
  });
});

describe("metricValue", () => {
  it("is the p95 in ms (0 with no timed request) or the failed percentage", () => {
    expect(metricValue("p95-response-time", slow(321))).toBe(321);
    expect(metricValue("p95-response-time", idle)).toBe(0);
    expect(metricValue("failed-request-rate", failing(3, 12))).toBe(25);
    expect(metricValue("failed-request-rate", idle)).toBe(0);
  });
});

describe("completeMinutes (time scale 60: a minute is a second)", () => {
  it("gives the last complete minutes, oldest first, once the grace after each has passed", () => {
    expect(completeMinutes(10_500, 1000, 3, 200)).toEqual([7000, 8000, 9000]);
    // 10 050 - 200 is still in minute 9000–10 000: it is not complete yet.
    expect(completeMinutes(10_050, 1000, 1, 200)).toEqual([8000]);
  });

  it("works at Heroku's own scale", () => {
    expect(completeMinutes(5 * MINUTE + 3000, MINUTE, 5, 1500)).toEqual([0, 1, 2, 3, 4].map((m) => m * MINUTE));
  });
});
