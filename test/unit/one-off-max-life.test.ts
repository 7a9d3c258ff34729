import { describe, expect, it } from "vitest";
import {
  checkEveryMs,
  ONE_OFF_JITTER_MS,
  ONE_OFF_MAX_LIFE_MS,
  oneOffEndsAtMs,
  oneOffsToEnd,
} from "../../provider/dyno-manager/one-off-max-life";

const DAY = 24 * 60 * 60 * 1000;

describe("oneOffEndsAtMs", () => {
  it("is 24 hours plus up to 216 minutes after the start, as Heroku cycles every dyno", () => {
    for (let i = 0; i < 200; i++) {
      const end = oneOffEndsAtMs(`container-${i}`, 0);
      expect(end).toBeGreaterThanOrEqual(DAY);
      expect(end).toBeLessThanOrEqual(DAY + 216 * 60_000);
    }
    expect(ONE_OFF_MAX_LIFE_MS).toBe(DAY);
    expect(ONE_OFF_JITTER_MS).toBe(216 * 60_000);
  });

  it("spreads the random part by container, and keeps it for one container (a manager restart changes nothing)", () => {
    const ends = new Set(Array.from({ length: 50 }, (_, i) => oneOffEndsAtMs(`c${i}`, 0)));
    expect(ends.size).toBeGreaterThan(40);
    expect(oneOffEndsAtMs("abc", 1000)).toBe(oneOffEndsAtMs("abc", 1000));
  });

  it("passes faster with a time scale", () => {
    expect(oneOffEndsAtMs("abc", 0, 3600)).toBeCloseTo(oneOffEndsAtMs("abc", 0) / 3600, 0);
  });
});

describe("oneOffsToEnd", () => {
  const dyno = (id: string, startedAtMs: number) => ({ id, app: "shop", dyno: "run.1", startedAtMs });

  it("picks the one-off dynos past their maximum life, not younger ones", () => {
    const old = dyno("old", 0);
    const young = dyno("young", DAY);
    expect(oneOffsToEnd([old, young], DAY + 216 * 60_000)).toEqual([old]);
    expect(oneOffsToEnd([old, young], DAY - 1)).toEqual([]);
  });

  it("skips a dyno whose start the engine did not give", () => {
    expect(oneOffsToEnd([dyno("x", Number.NaN)], 10 * DAY)).toEqual([]);
  });
});

describe("checkEveryMs", () => {
  it("looks every 30 s in real time and at least every second when the day is short", () => {
    expect(checkEveryMs(1)).toBe(30_000);
    expect(checkEveryMs(3600)).toBe(2400);
    expect(checkEveryMs(1e6)).toBe(1000);
  });
});
