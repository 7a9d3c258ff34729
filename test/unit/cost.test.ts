import { describe, expect, it } from "vitest";
import { estimateMonthlyCost } from "../../sdk/cost";

describe("estimateMonthlyCost", () => {
  it("multiplies each size's price by its quantity", () => {
    const c = estimateMonthlyCost({ web: { quantity: 3, size: "standard-2x" }, worker: { quantity: 1, size: "performance-m" } });
    expect(c.lines).toEqual([
      { processType: "web", size: "standard-2x", quantity: 3, usd: 150 },
      { processType: "worker", size: "performance-m", quantity: 1, usd: 250 },
    ]);
    expect(c.totalUsd).toBe(400);
  });

  it("counts Eco as one flat fee", () => {
    expect(estimateMonthlyCost({ web: { quantity: 1, size: "eco" }, worker: { quantity: 1, size: "eco" } }).totalUsd).toBe(5);
  });

  it("costs nothing for stopped process types", () => {
    expect(estimateMonthlyCost({ web: { quantity: 0, size: "performance-l" }, w: { quantity: 0, size: "eco" } }).totalUsd).toBe(0);
  });
});
