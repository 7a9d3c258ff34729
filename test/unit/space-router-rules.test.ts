import { describe, expect, it } from "vitest";
import { spaceRouterLabels, spaceRouterRulesOf } from "../../provider/spaces/space-router-rules";

describe("a space router's rules on its labels", () => {
  it("reads back what it wrote, on either engine", () => {
    const rules = { name: "p", shield: true, trustedIpRanges: ["203.0.113.0/24", "127.0.0.1/32"] };
    expect(spaceRouterRulesOf({ other: "x", ...spaceRouterLabels(rules) })).toEqual(rules);
    expect(spaceRouterRulesOf(spaceRouterLabels({ name: "q", shield: false, trustedIpRanges: [] }))).toEqual({
      name: "q",
      shield: false,
      trustedIpRanges: [],
    });
  });

  it("gives a Common Runtime router no rules and no labels", () => {
    expect(spaceRouterLabels(undefined)).toEqual({});
    expect(spaceRouterRulesOf({ "dynoform.role": "router" })).toBeUndefined();
    expect(spaceRouterRulesOf(undefined)).toBeUndefined();
  });
});
