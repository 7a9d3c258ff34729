import { describe, expect, it } from "vitest";
import {
  forgetGone,
  GOOD_START_MS,
  nextRestart,
  recordCrash,
  stoppedWithEngine,
  type CrashBook,
  type DynoCrash,
} from "../../provider/dyno-manager/crash-backoff";

describe("nextRestart", () => {
  it("restarts the first crash at once, then cools off 20, 40, 60, 180, 320, 320 minutes", () => {
    let history = { crashes: 0 };
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = nextRestart(history, 5_000);
      delays.push(r.delayMs / 60_000);
      history = r.history;
    }
    expect(delays).toEqual([0, 20, 40, 60, 180, 320, 320]);
  });

  it("forgets earlier crashes after a good start", () => {
    expect(nextRestart({ crashes: 4 }, GOOD_START_MS).delayMs).toBe(0);
  });

  it("restarts continuously in a Space", () => {
    expect(nextRestart({ crashes: 4 }, 1000, { inSpace: true }).delayMs).toBe(0);
  });

  it("scales the schedule for tests", () => {
    expect(nextRestart({ crashes: 1 }, 1000, { scale: 0.001 }).delayMs).toBe(1200);
  });
});

describe("recordCrash: the history the dyno manager keeps on its volume", () => {
  const crash = (over: Partial<DynoCrash> = {}): DynoCrash => ({
    app: "api",
    dyno: "web.1",
    release: "v1",
    ranForMs: 5_000,
    container: "c1",
    atMs: 1_000_000,
    ...over,
  });

  it("counts crashes per app and dyno, each crash of a new container once", () => {
    let book: CrashBook = {};
    const delays: number[] = [];
    for (const container of ["c1", "c2", "c3"]) {
      const r = recordCrash(book, crash({ container }));
      delays.push(r.delayMs / 60_000);
      book = r.book;
    }
    expect(delays).toEqual([0, 20, 40]);
    expect(recordCrash(book, crash({ app: "other" })).delayMs).toBe(0);
    expect(recordCrash(book, crash({ dyno: "web.2" })).delayMs).toBe(0);
  });

  it("starts the count again on a new release, as Heroku does", () => {
    let book: CrashBook = {};
    for (const container of ["c1", "c2", "c3"]) book = recordCrash(book, crash({ container })).book;
    const r = recordCrash(book, crash({ container: "c4", release: "v2" }));
    expect(r.delayMs).toBe(0);
    expect(r.crashes).toBe(1);
    expect(r.book["api/web.1"].release).toBe("v2");
  });

  it("counts a crash seen again (after the manager's restart) once, keeping its due time", () => {
    let book: CrashBook = {};
    book = recordCrash(book, crash({ container: "c1" })).book;
    book = recordCrash(book, crash({ container: "c2", atMs: 2_000_000 })).book;
    const again = recordCrash(book, crash({ container: "c2", atMs: 2_000_000 + 5 * 60_000 }));
    expect(again.counted).toBe(false);
    expect(again.crashes).toBe(2);
    expect(again.delayMs / 60_000).toBe(15);
    // Survives a round trip through JSON (the file on the volume).
    expect(recordCrash(JSON.parse(JSON.stringify(book)), crash({ container: "c2", atMs: 2_000_000 })).delayMs / 60_000).toBe(20);
  });

  it("forgets dynos that are gone", () => {
    const book = recordCrash(recordCrash({}, crash()).book, crash({ dyno: "web.2" })).book;
    expect(Object.keys(forgetGone(book, ["api/web.2"]))).toEqual(["api/web.2"]);
  });
});

describe("stoppedWithEngine", () => {
  const engineStop = Date.parse("2026-01-01T12:00:00Z");
  it("takes exits around the engine's shutdown, up to the stop grace, as no crash", () => {
    expect(stoppedWithEngine(engineStop + 200, engineStop)).toBe(true);
    expect(stoppedWithEngine(engineStop + 31_000, engineStop)).toBe(true);
    expect(stoppedWithEngine(engineStop - 1_000, engineStop)).toBe(true);
  });
  it("counts every other exit as a crash", () => {
    expect(stoppedWithEngine(engineStop - 60_000, engineStop)).toBe(false);
    expect(stoppedWithEngine(engineStop + 5 * 60_000, engineStop)).toBe(false);
    expect(stoppedWithEngine(engineStop, undefined)).toBe(false);
  });
});
