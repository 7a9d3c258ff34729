import { describe, expect, it } from "vitest";
import { GOOD_START_MS, nextRestart } from "../../provider/dyno-manager/crash-backoff";

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
