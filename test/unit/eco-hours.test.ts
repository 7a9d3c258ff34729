import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  countEcoHours,
  ECO_ENV,
  ECO_POOL_HOURS,
  ecoNow,
  ecoSettings,
  formatHours,
  HOUR_MS,
  openBook,
  poolEmpty,
  renderEcoReport,
  type EcoBook,
  type EcoSettings,
} from "../../provider/dyno-manager/eco-hours";
import { ECO_POOL_EMPTY_FILE } from "../../provider/router/router-names";
import { ENV } from "../../sdk/settings";

const T0 = Date.parse("2030-01-15T00:00:00Z");
const real: EcoSettings = { poolHours: ECO_POOL_HOURS, timeScale: 1, clockStart: "" };
const fresh = (s: EcoSettings = real, now = T0): EcoBook => openBook(undefined, s, now);

describe("ecoSettings", () => {
  it("defaults to Heroku's 1,000 hours in real time from now", () => {
    expect(ecoSettings({})).toEqual({ poolHours: 1000, timeScale: 1, clockStart: "" });
    expect(ecoSettings({ DYNOFORM_ECO_HOURS: "0.5", DYNOFORM_TIME_SCALE: "60", DYNOFORM_ECO_CLOCK_START: "2030-01-31T23:58:00Z" })).toEqual(
      {
        poolHours: 0.5,
        timeScale: 60,
        clockStart: "2030-01-31T23:58:00Z",
      },
    );
  });

  it("refuses a bad setting with the variable's name and the fix", () => {
    for (const v of ["abc", "0", "-3", "Infinity"]) {
      expect(() => ecoSettings({ DYNOFORM_ECO_HOURS: v })).toThrow(
        /DYNOFORM_ECO_HOURS=".*" is not a number of hours above 0.*Fix: set it to a positive number/,
      );
    }
    expect(() => ecoSettings({ DYNOFORM_TIME_SCALE: "fast" })).toThrow(/DYNOFORM_TIME_SCALE="fast" is not a positive number.*Fix:/);
    expect(() => ecoSettings({ DYNOFORM_ECO_CLOCK_START: "next tuesday" })).toThrow(
      /DYNOFORM_ECO_CLOCK_START="next tuesday" is not an ISO date.*Fix:/,
    );
    expect(() => ecoSettings({ DYNOFORM_ECO_CLOCK_START: "2030-13-45" })).toThrow(/not an ISO date/);
  });

  it("reads the variables sdk/settings.ts documents", () => {
    expect([ECO_ENV.poolHours, ECO_ENV.clockStart, ECO_ENV.timeScale]).toEqual([ENV.ecoHours, ENV.ecoClockStart, ENV.timeScale]);
  });
});

describe("countEcoHours", () => {
  it("counts each running Eco dyno's time to the second, shared by every app", () => {
    let book = fresh();
    const dynos = [
      { app: "shop", startedAtMs: T0 - 10_000 },
      { app: "shop", startedAtMs: T0 + 60_000 },
      { app: "blog", startedAtMs: T0 },
    ];
    book = countEcoHours(book, dynos, T0 + 120_000).book;
    // Counted from the book's start, not the container's: the time before the manager counted is not this book's.
    expect(book.usedMs).toEqual({ shop: 120_000 + 60_000, blog: 120_000 });
    book = countEcoHours(book, dynos, T0 + 180_000).book;
    expect(book.usedMs).toEqual({ shop: 300_000, blog: 180_000 });
  });

  it("counts nothing while a dyno sleeps, and counts up to its stop", () => {
    let book = fresh();
    book = countEcoHours(book, [{ app: "shop", startedAtMs: T0 }], T0 + 60_000).book;
    // It stopped (slept) 30 s after the last count; the next round sees when.
    book = countEcoHours(book, [{ app: "shop", startedAtMs: T0, finishedAtMs: T0 + 90_000 }], T0 + 120_000).book;
    expect(book.usedMs.shop).toBe(90_000);
    // Asleep for an hour: still 90 s.
    book = countEcoHours(book, [{ app: "shop", startedAtMs: T0, finishedAtMs: T0 + 90_000 }], T0 + HOUR_MS).book;
    expect(book.usedMs.shop).toBe(90_000);
  });

  it("counts the time a manager restart missed for dynos that kept running", () => {
    const book = countEcoHours(fresh(), [{ app: "shop", startedAtMs: T0 }], T0 + 60_000).book;
    const stored = JSON.parse(JSON.stringify(book)) as EcoBook;
    const reopened = openBook(stored, real, T0 + 10 * 60_000);
    expect(countEcoHours(reopened, [{ app: "shop", startedAtMs: T0 }], T0 + 10 * 60_000).book.usedMs.shop).toBe(10 * 60_000);
  });

  it("runs the clock faster with a time scale: a real second is a minute at 60", () => {
    const book = countEcoHours(fresh({ ...real, timeScale: 60 }), [{ app: "shop", startedAtMs: T0 }], T0 + 30_000).book;
    expect(book.usedMs.shop).toBe(30 * 60_000);
  });

  it("empties the pool at its size and fills it again when the Eco month turns", () => {
    const s = { poolHours: 1, timeScale: 60, clockStart: "2030-01-31T22:00:00Z" };
    let book = openBook(undefined, s, T0);
    const dyno = [{ app: "shop", startedAtMs: T0 }];
    book = countEcoHours(book, dyno, T0 + 59_000).book;
    expect(poolEmpty(book, 1)).toBe(false);
    book = countEcoHours(book, dyno, T0 + 60_000).book;
    expect(book.month).toBe("2030-01");
    expect(poolEmpty(book, 1)).toBe(true);
    // An Eco hour later (a real minute) it is February: the pool starts over, and only time after midnight counts.
    const turned = countEcoHours(book, dyno, T0 + 121_000);
    expect(turned.turned).toBe(true);
    expect(turned.book.month).toBe("2030-02");
    expect(turned.book.usedMs).toEqual({ shop: 60_000 });
    expect(poolEmpty(turned.book, 1)).toBe(false);
  });

  it("does not count a turn twice", () => {
    const s = { poolHours: 1000, timeScale: 1, clockStart: "2030-01-31T23:59:59Z" };
    const book = openBook(undefined, s, T0);
    const first = countEcoHours(book, [], T0 + 2000);
    expect(first.turned).toBe(true);
    expect(countEcoHours(first.book, [], T0 + 3000).turned).toBe(false);
  });
});

describe("openBook", () => {
  it("keeps the stored clock when the settings are the same, so the month and hours carry on", () => {
    const s = { poolHours: 1, timeScale: 60, clockStart: "2030-01-15T00:00:00Z" };
    const book = countEcoHours(openBook(undefined, s, T0), [{ app: "shop", startedAtMs: T0 }], T0 + 30_000).book;
    const again = openBook(book, s, T0 + 40_000);
    expect(again).toEqual(book);
    expect(ecoNow(again.clock, T0 + 40_000)).toBe(Date.parse("2030-01-15T00:40:00Z"));
  });

  it("goes back to the real date when a test's time scale is unset, keeping the month's hours", () => {
    const fast = countEcoHours(openBook(undefined, { ...real, timeScale: 60 }, T0), [{ app: "shop", startedAtMs: T0 }], T0 + 1000).book;
    const again = openBook(fast, real, T0 + 2000);
    expect(ecoNow(again.clock, T0 + 2000)).toBe(T0 + 2000);
    expect(again.usedMs).toEqual({ shop: 60_000 });
    expect(countEcoHours(again, [], T0 + 3000).turned).toBe(false);
  });

  it("moves the clock to a new DYNOFORM_ECO_CLOCK_START, keeping the hours until the month turns", () => {
    const s = { poolHours: 1, timeScale: 60, clockStart: "2030-01-15T00:00:00Z" };
    const book = countEcoHours(openBook(undefined, s, T0), [{ app: "shop", startedAtMs: T0 }], T0 + 60_000).book;
    const moved = openBook(book, { ...s, clockStart: "2030-01-31T23:59:00Z" }, T0 + 70_000);
    expect(moved.usedMs).toEqual(book.usedMs);
    expect(ecoNow(moved.clock, T0 + 70_000)).toBe(Date.parse("2030-01-31T23:59:00Z"));
    expect(countEcoHours(moved, [], T0 + 72_000).turned).toBe(true);
  });
});

describe("renderEcoReport", () => {
  const report = (usedMs: Record<string, number>, poolHours = 1000) => ({
    ...fresh(),
    usedMs,
    poolHours,
    writtenAtEcoMs: T0,
  });

  it("shows used and left this month, per app, and when the pool resets", () => {
    const text = renderEcoReport(report({ shop: 200 * HOUR_MS + 16 * 60_000, blog: 5_000 }));
    expect(text).toContain("Eco dyno hours, 2030-01 (pool 1000h 00m shared by every Eco app on this engine; resets 2030-02-01T00:00:00Z):");
    expect(text).toContain("used 200h 16m (20%), left 799h 43m (80%)");
    expect(text).toMatch(/ {2}shop {2}200h 16m\n {2}blog {2}0h 00m\n$/);
  });

  it("says the pool is used up and what that means", () => {
    const text = renderEcoReport(report({ shop: 2 * HOUR_MS }, 1));
    expect(text).toContain("left 0h 00m (0%)");
    expect(text).toContain("The pool is used up: Eco apps sleep and the router answers H82 until 2030-02-01T00:00:00Z.");
  });

  it("gives one app's share in the words of Heroku's ps", () => {
    expect(renderEcoReport(report({ shop: 200 * HOUR_MS + 16 * 60_000 }), "shop")).toBe(
      "Eco dyno hours quota remaining this month: 799h 44m (80%)\nEco dyno usage for this app: 200h 16m (20%)\n",
    );
    expect(renderEcoReport(report({}), "new")).toContain("Eco dyno usage for this app: 0h 00m (0%)");
  });

  it("formats hours and minutes, rounding down", () => {
    expect(formatHours(0)).toBe("0h 00m");
    expect(formatHours(HOUR_MS * 999 + 52 * 60_000 + 55_000)).toBe("999h 52m");
    expect(formatHours(-5)).toBe("0h 00m");
  });
});

describe("the router's side", () => {
  it("wake.lua reads the file the dyno manager writes while the pool is empty", () => {
    const lua = fs.readFileSync(path.resolve(__dirname, "../../router/wake.lua"), "utf8");
    expect(lua).toContain(`local ECO_POOL_EMPTY_FILE = "${ECO_POOL_EMPTY_FILE}"`);
    expect(lua).toContain('txn:set_var("txn.wake", "exhausted")');
  });
});
