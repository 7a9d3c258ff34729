import { describe, expect, it } from "vitest";
import { sinceAfter } from "../../provider/dyno-manager/log-since";

describe("sinceAfter", () => {
  it("starts the next read one nanosecond after the last line read", () => {
    expect(sinceAfter("2026-11-26T16:44:49.123456789Z")).toBe("1795711489.123456790");
    expect(sinceAfter("2026-11-26T16:44:49.5Z")).toBe("1795711489.500000001");
    expect(sinceAfter("2026-11-26T16:44:49Z")).toBe("1795711489.000000001");
  });

  it("carries into the next second", () => {
    expect(sinceAfter("2026-11-26T16:44:49.999999999Z")).toBe("1795711490.000000000");
  });

  it("is undefined for what is no stamp (a line without one)", () => {
    expect(sinceAfter("dynoform-wake")).toBeUndefined();
    expect(sinceAfter("")).toBeUndefined();
  });
});
