import { describe, expect, it } from "vitest";
import { sparkline } from "../../cli/sparkline";

describe("sparkline", () => {
  it("draws the lowest value at ▁ and the highest at █, gaps as spaces", () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe("▁▂▃▄▅▆▇█");
    expect(sparkline([1, null, 1])).toBe("▁ ▁");
    expect(sparkline([null, null])).toBe("  ");
    expect(sparkline([])).toBe("");
    // Counts sit on a fixed floor: one crash is not drawn as none.
    expect(sparkline([1, 1], 60, 0)).toBe("██");
    expect(sparkline([0, 2], 60, 0)).toBe("▁█");
  });

  it("squeezes a long series to its width, keeping every peak", () => {
    const values = Array.from({ length: 120 }, (_, i) => (i === 77 ? 100 : 1));
    const line = sparkline(values, 60);
    expect([...line]).toHaveLength(60);
    expect([...line].filter((c) => c === "█")).toHaveLength(1);
  });
});
