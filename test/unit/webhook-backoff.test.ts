import { describe, expect, it } from "vitest";
import { retryDelayMs, WEBHOOK_BACKOFF } from "../../provider/dyno-manager/webhook-backoff";

const schedule = (timeScale = 1, random = 0) =>
  Array.from({ length: WEBHOOK_BACKOFF.maxAttempts }, (_, i) => retryDelayMs(i + 1, timeScale, random));

describe("retryDelayMs", () => {
  it("doubles from 2 s up to 10 minutes, then gives up after the 12th attempt", () => {
    expect(schedule()).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, undefined].map((s) => (s === undefined ? s : s * 1000)));
    const total = schedule().reduce<number>((a, d) => a + (d ?? 0), 0);
    expect(total / 60_000).toBeCloseTo(37, 0);
  });

  it("adds up to 20% jitter, so one outage's alerts do not retry in step", () => {
    expect(retryDelayMs(1, 1, 0.999)).toBe(2400);
    expect(retryDelayMs(10, 1, 0.5)).toBe(660_000);
  });

  it("runs 60 times faster at time scale 60 (a minute is a second)", () => {
    expect(schedule(60).slice(0, 3)).toEqual([33, 67, 133]);
    expect(retryDelayMs(12, 60)).toBeUndefined();
  });

  it("follows another policy when given one", () => {
    expect(retryDelayMs(3, 1, 0, { baseMs: 100, capMs: 250, maxAttempts: 5 })).toBe(250);
    expect(retryDelayMs(5, 1, 0, { baseMs: 100, capMs: 250, maxAttempts: 5 })).toBeUndefined();
  });
});
