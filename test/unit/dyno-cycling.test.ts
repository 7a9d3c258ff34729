import { describe, expect, it } from "vitest";
import { CYCLE_BASE_MS, CYCLE_JITTER_MS, cycleDueAtMs, mayLeave } from "../../provider/dyno-manager/dyno-cycling";
import { serverStatuses } from "../../provider/router/router-stats";

describe("daily dyno cycling", () => {
  const ids = Array.from({ length: 200 }, (_, i) => `container-${i}`);

  it("cycles each dyno 24 h plus 0–216 minutes after it started", () => {
    for (const id of ids) {
      const after = cycleDueAtMs(id, 1_000) - 1_000;
      expect(after).toBeGreaterThanOrEqual(CYCLE_BASE_MS);
      expect(after).toBeLessThanOrEqual(CYCLE_BASE_MS + CYCLE_JITTER_MS);
    }
    expect(CYCLE_JITTER_MS).toBe(216 * 60_000);
  });

  it("spreads dynos over the window, each keeping its time (a manager restart changes nothing)", () => {
    const offsets = ids.map((id) => cycleDueAtMs(id, 0) - CYCLE_BASE_MS);
    expect(new Set(offsets).size).toBeGreaterThan(190);
    expect(Math.min(...offsets)).toBeLessThan(CYCLE_JITTER_MS * 0.1);
    expect(Math.max(...offsets)).toBeGreaterThan(CYCLE_JITTER_MS * 0.9);
    expect(cycleDueAtMs("container-7", 0)).toBe(cycleDueAtMs("container-7", 0));
  });

  it("starts the clock over with a fresh container, and runs faster with a time scale", () => {
    expect(cycleDueAtMs("c", 5_000) - cycleDueAtMs("c", 0)).toBe(5_000);
    expect(cycleDueAtMs("c", 0, 60)).toBeCloseTo(cycleDueAtMs("c", 0) / 60, 0);
  });

  const csv = ["# pxname,svname,qcur,status,weight", "app_a,web.1,0,UP,1", "app_a,web.2,0,DOWN,1", "app_a,BACKEND,0,UP,2", ""].join("\n");

  it("lets a web dyno leave only while another serves (or when it is the app's only one)", () => {
    expect(mayLeave(serverStatuses(csv), "web.2")).toBe(true);
    // web.2 still boots (its own cycle): web.1 waits, else the app would have no dyno (H10).
    expect(mayLeave(serverStatuses(csv), "web.1")).toBe(false);
    expect(mayLeave(new Map([["web.1", "UP"]]), "web.1")).toBe(true);
    expect(
      mayLeave(
        new Map([
          ["web.1", "UP 1/2"],
          ["web.2", "MAINT"],
        ]),
        "web.2",
      ),
    ).toBe(true);
  });
});
