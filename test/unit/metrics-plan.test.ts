import { describe, expect, it } from "vitest";
import {
  bucketsFor,
  memoryLine,
  parseSpan,
  R14_EVERY_SAMPLES,
  r14Lines,
  resolutionFor,
  RESOLUTIONS,
  retentionCutoffs,
  type R14Watch,
} from "../../provider/dyno-manager/metrics-plan";

const T = Date.parse("2026-11-26T05:37:42Z");
const epoch = (iso: string) => Date.parse(iso) / 1000;

describe("metrics plan: resolutions and retention per tier", () => {
  it("keeps nothing on Eco, 24 h at 10 min on Basic, Heroku's four windows on Standard and up", () => {
    expect(RESOLUTIONS.none).toEqual([]);
    expect(RESOLUTIONS["24h"]).toEqual([{ seconds: 600, windowSeconds: 86400 }]);
    expect(RESOLUTIONS["7d"].map((r) => [r.seconds, r.windowSeconds / 3600])).toEqual([
      [60, 2],
      [600, 24],
      [3600, 72],
      [7200, 168],
    ]);
  });

  it("folds a sample into one bucket of each resolution its tier keeps", () => {
    expect(bucketsFor("none", T)).toEqual([]);
    expect(bucketsFor("24h", T)).toEqual([{ res: 600, start: epoch("2026-11-26T05:30:00Z") }]);
    expect(bucketsFor("7d", T)).toEqual([
      { res: 60, start: epoch("2026-11-26T05:37:00Z") },
      { res: 600, start: epoch("2026-11-26T05:30:00Z") },
      { res: 3600, start: epoch("2026-11-26T05:00:00Z") },
      { res: 7200, start: epoch("2026-11-26T04:00:00Z") },
    ]);
  });

  it("deletes each resolution's buckets older than its window", () => {
    const cut = Object.fromEntries(retentionCutoffs(T).map((c) => [c.res, new Date(c.keepFrom * 1000).toISOString()]));
    expect(cut).toEqual({
      60: "2026-11-26T03:37:00.000Z",
      600: "2026-11-25T05:30:00.000Z",
      3600: "2026-11-23T05:00:00.000Z",
      7200: "2026-11-19T04:00:00.000Z",
    });
  });

  it("reads the finest resolution whose window covers the span asked for", () => {
    expect(resolutionFor("7d", 2 * 3600)?.seconds).toBe(60);
    expect(resolutionFor("7d", 3 * 3600)?.seconds).toBe(600);
    expect(resolutionFor("7d", 2 * 86400)?.seconds).toBe(3600);
    expect(resolutionFor("7d", 7 * 86400)?.seconds).toBe(7200);
    expect(resolutionFor("7d", 30 * 86400)?.seconds).toBe(7200);
    expect(resolutionFor("24h", 3600)?.seconds).toBe(600);
    expect(resolutionFor("none", 3600)).toBeUndefined();
  });

  it("reads spans as --since gives them", () => {
    expect([parseSpan("2h"), parseSpan("30m"), parseSpan("7d"), parseSpan("90s"), parseSpan("120")]).toEqual([7200, 1800, 604800, 90, 120]);
    expect(parseSpan("2 weeks")).toBeUndefined();
    expect(parseSpan("0h")).toBeUndefined();
  });
});

describe("R14 lines", () => {
  it("formats Heroku's memory line", () => {
    expect(memoryLine(620, 512)).toBe("Process running mem=620M(121.1%)");
    expect(memoryLine(1023.6, 512)).toBe("Process running mem=1024M(199.9%)");
  });

  it("reports the first sample over quota, then one in every few while it stays over, and nothing under it", () => {
    const watch: R14Watch = new Map();
    expect(r14Lines(watch, "d", 400, 512)).toEqual([]);
    const over = Array.from({ length: 2 * R14_EVERY_SAMPLES + 1 }, () => r14Lines(watch, "d", 620, 512).length > 0);
    expect(over).toEqual([true, false, false, true, false, false, true]);
    expect(r14Lines(watch, "d", 620, 512)).toEqual([]);
    expect(r14Lines(watch, "d", 100, 512)).toEqual([]);
    // Back over after dropping under: reported at once.
    expect(r14Lines(watch, "d", 620, 512)).toEqual(["Process running mem=620M(121.1%)", "Error R14 (Memory quota exceeded)"]);
    // Without a known quota (a dyno from before quotas were labelled) nothing is reported.
    expect(r14Lines(watch, "e", 620, 0)).toEqual([]);
  });
});
