import { describe, expect, it } from "vitest";
import { firstSince, foldWindows, parseRuntimeFile, type RuntimeWindow } from "../../provider/dyno-manager/runtime-metrics";

const MB = 1024 * 1024;
const w = (t: number, over: Partial<RuntimeWindow> = {}): RuntimeWindow => ({
  t,
  ms: 2000,
  heapUsed: 10 * MB,
  heapTotal: 20 * MB,
  gcMs: 1,
  gcCount: 2,
  eldMean: 0.5,
  eldP99: 2,
  eldMax: 3,
  ...over,
});

describe("runtime metrics", () => {
  it("reads the preload's file and skips what is not a window", () => {
    const text = JSON.stringify({
      v: 1,
      pid: 7,
      windows: [w(1000), { t: 5 }, w(3000, { eldMean: null, eldP99: null, eldMax: null }), null],
    });
    expect(parseRuntimeFile(text)).toEqual([w(1000), w(3000, { eldMean: null, eldP99: null, eldMax: null })]);
    expect(parseRuntimeFile("{half")).toEqual([]);
    expect(parseRuntimeFile("[]")).toEqual([]);
    expect(parseRuntimeFile(JSON.stringify({ windows: [w(1, { heapUsed: -1 })] }))).toEqual([]);
  });

  it("folds the windows since the last round: heap at the end, GC time summed, worst delay", () => {
    const r = foldWindows([[w(1000), w(3000, { heapUsed: 12 * MB, gcMs: 4, eldP99: 150, eldMax: 210, eldMean: 2.5 }), w(5000)]], 1000);
    expect(r).toEqual({
      atMs: 5000,
      seconds: 4,
      processes: 1,
      heapUsedMb: 10,
      heapTotalMb: 20,
      gcMs: 5,
      gcCount: 4,
      eldMeanMs: 1.5,
      eldP99Ms: 150,
      eldMaxMs: 210,
    });
    expect(foldWindows([[w(1000)]], 1000)).toBeUndefined();
    expect(foldWindows([], 0)).toBeUndefined();
  });

  it("adds up a dyno's processes (npm and the app): heap and GC summed, delay the worst", () => {
    const npm = [w(1000, { heapUsed: 5 * MB, heapTotal: 8 * MB, gcMs: 0, eldP99: 1 })];
    const app = [
      w(1500, { heapUsed: 40 * MB, heapTotal: 60 * MB, gcMs: 7, eldP99: 90 }),
      w(3500, { heapUsed: 45 * MB, heapTotal: 60 * MB }),
    ];
    const stale = [w(100, { heapUsed: 999 * MB })];
    const r = foldWindows([npm, app, stale], 500)!;
    expect(r).toMatchObject({ processes: 2, heapUsedMb: 50, heapTotalMb: 68, gcMs: 8, eldP99Ms: 90, seconds: 4, atMs: 3500 });
  });

  it("has no delay when no window measured one", () => {
    const r = foldWindows([[w(1000, { eldMean: null, eldP99: null, eldMax: null })]], 0)!;
    expect([r.eldMeanMs, r.eldP99Ms, r.eldMaxMs]).toEqual([null, null, null]);
  });

  it("takes all of a new dyno's windows, and one interval before its start from a dyno that ran before the manager", () => {
    expect(firstSince(150_000, 100_000, 20)).toBe(0);
    expect(firstSince(50_000, 100_000, 20)).toBe(80_000);
  });
});
